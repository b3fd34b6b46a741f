"""Retry transient failures with exponential backoff under one overall deadline (Terraform's policy:
0.5 s doubling to at most 10 s); stop at once on errors retrying cannot fix.

The deadline also bounds every call made while it runs: `call_timeout` caps a client's per-call timeout
at what is left of it, so one slow call never overshoots the operation's deadline."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from .errors import TalosAPIError

T = TypeVar("T")

FIRST_DELAY = 0.5
MAX_DELAY = 10.0
MIN_CALL_TIMEOUT = 0.05  # a call started just before the deadline still gets a chance to fail cleanly

_deadline_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("talos_deadline_at", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every call inside to `seconds` from now (or the enclosing deadline, if that ends sooner)."""
    end = time.monotonic() + seconds
    outer = _deadline_at.get()
    token = _deadline_at.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _deadline_at.reset(token)


def time_left() -> float | None:
    """Seconds left of the current operation's deadline; None outside any."""
    end = _deadline_at.get()
    return None if end is None else end - time.monotonic()


def call_timeout(limit: float) -> float:
    """A per-call timeout: `limit`, but never past the current deadline."""
    left = time_left()
    return limit if left is None else max(MIN_CALL_TIMEOUT, min(limit, left))


async def with_retries(attempt: Callable[[], Awaitable[T]], deadline_seconds: float, *,
                       first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY) -> T:
    """Run `attempt` until it succeeds, fails permanently, or `deadline_seconds` have passed."""
    started = time.monotonic()
    delay = first_delay
    attempts = 0
    with deadline(deadline_seconds):
        while True:
            attempts += 1
            try:
                return await attempt()
            except TalosAPIError as error:
                elapsed = time.monotonic() - started
                if not error.transient:
                    raise
                if elapsed + delay > deadline_seconds:
                    raise error.again(f"{error.detail} (gave up after {attempts} attempts in {elapsed:.0f}s; "
                                      f"deadline {deadline_seconds:g}s)") from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)
