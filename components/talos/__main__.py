"""``python -m components.talos``: talosctl-style commands without the talosctl binary."""

from .cli import main

raise SystemExit(main())
