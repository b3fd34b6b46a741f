"""Where the project is, for test helpers that must not import conftest (and with it pytest and hypothesis):
the engine stand-in and the stack helpers also run in benchmarks."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
