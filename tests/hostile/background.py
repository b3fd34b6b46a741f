"""An asyncio loop in a daemon thread, for servers the code under test talks to from its own loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_all() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            self.run(cancel_all())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            self.loop.close()


class BackgroundServer:
    """A listening asyncio server on a BackgroundLoop of its own; a subclass says how it starts (`_start`).
    Use as a context manager: the server listens inside the block."""

    _background: BackgroundLoop | None = None
    _server: asyncio.Server | None = None

    async def _start(self) -> asyncio.Server:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._background = BackgroundLoop(type(self).__name__)
        self._server = self._background.run(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._background is not None and self._server is not None
        server = self._server

        async def stop() -> None:
            server.close()

        self._background.run(stop())
        self._background.stop()
