"""ApplyConfiguration modes by their talosctl flag names (``--mode``); light enough for config checks."""

APPLY_MODE_NAMES = ("auto", "no-reboot", "reboot", "staged", "try")
