"""The Talos machine API (apid, TCP 50000) in Python: messages (proto/), one-endpoint client (client),
typed calls (calls), whole operations with retries (operations). No talosctl needed."""
