"""Imported by Python at start-up in the processes the tests start (tests/conftest.py puts this folder on their
PYTHONPATH): RSA 4096 keys come from the run's pool (rsa_key_pool.py). Nothing else changes in those processes."""

import rsa_key_pool  # type: ignore[import-not-found]  # a top-level module in those processes

rsa_key_pool.install()
