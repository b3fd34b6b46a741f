"""RSA 4096 keys for test runs, generated once per run and shared by the test workers and the processes they
start (provider hosts, the CLI).

Talos makes one RSA 4096 key per secrets bundle (the service account key from contract v1.7: siderolabs/crypto
x509.NewRSAKey); generating one costs 0.3 to 2 s and a test run makes ~250, a third of the suite's time. Every
key drawn here is a real RSA 4096 key from ``cryptography``; draws go round the pool through a counter shared by
every process of the run, so any ``POOL_SIZE`` bundles made one after another have distinct keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

POOL_SIZE = 4
ENVIRONMENT = "TALOS_CLUSTER_TEST_RSA_POOL"  # the pool's folder, for the processes the tests start


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fill(folder: Path) -> None:
    """Make the pool once per run: the first worker generates the keys, the others wait for them."""
    folder.mkdir(mode=0o700, exist_ok=True)
    with _locked(folder):
        for index in range(POOL_SIZE):
            path = folder / f"{index}.pem"
            if not path.exists():
                key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
                pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(descriptor, "wb") as file:
                    file.write(pem)


def drawing_from(folder: Path, generate: Callable[..., Any]) -> Callable[..., Any]:
    """A stand-in for ``rsa.generate_private_key`` drawing RSA 4096 keys from the pool; other sizes are made."""
    keys: dict[int, Any] = {}

    def draw(public_exponent: int, key_size: int, *args: Any, **kwargs: Any) -> Any:
        if (public_exponent, key_size) != (65537, 4096):
            return generate(public_exponent, key_size, *args, **kwargs)
        with _locked(folder):
            counter = folder / "drawn"
            drawn = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(drawn + 1))
        index = drawn % POOL_SIZE
        if index not in keys:
            # Made by fill() in this run; checking an RSA 4096 key again costs 0.4 s.
            keys[index] = serialization.load_pem_private_key((folder / f"{index}.pem").read_bytes(), password=None,
                                                             unsafe_skip_rsa_key_validation=True)
        return keys[index]

    return draw


def install() -> None:
    """In a process the tests started: draw from the pool the environment names, if it names one."""
    folder = os.environ.get(ENVIRONMENT)
    if folder:
        rsa.generate_private_key = drawing_from(Path(folder), rsa.generate_private_key)
