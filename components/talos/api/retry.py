"""Retry transient failures with exponential backoff under one overall deadline (Terraform's policy:
0.5 s doubling to at most 10 s); stop at once on errors retrying cannot fix."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .errors import TalosAPIError

T = TypeVar("T")

FIRST_DELAY = 0.5
MAX_DELAY = 10.0


async def with_retries(attempt: Callable[[], Awaitable[T]], deadline: float, *, first_delay: float = FIRST_DELAY,
                       max_delay: float = MAX_DELAY) -> T:
    """Run `attempt` until it succeeds, fails permanently, or `deadline` seconds have passed."""
    started = time.monotonic()
    delay = first_delay
    attempts = 0
    while True:
        attempts += 1
        try:
            return await attempt()
        except TalosAPIError as error:
            elapsed = time.monotonic() - started
            if not error.transient:
                raise
            if elapsed + delay > deadline:
                raise error.again(f"{error.detail} (gave up after {attempts} attempts in {elapsed:.0f}s; "
                                  f"deadline {deadline:g}s)") from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
