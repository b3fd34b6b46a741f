"""`pulumi up` entry point: the program is components.program."""

import gc

# The provider SDKs' imports make many long-lived objects and no garbage: collecting while they run costs
# about 0.15 s per preview (benchmarks/program.py). main() freezes them and turns collection back on.
gc.disable()

from components.program import main  # noqa: E402

main()
