"""Imported at interpreter start when this directory is on PYTHONPATH: every outgoing connection made from
Python fails, as on a pull-request runner that cannot reach any node. (Listening still works, so the
provider host can serve the test; grpcio's own C sockets are not affected.)"""

import asyncio
import socket
from typing import NoReturn


class NetworkDisabled(OSError):
    pass


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    raise NetworkDisabled("network disabled: a preview must not open connections")


async def _refuse_async(*_args: object, **_kwargs: object) -> NoReturn:
    _refuse()


socket.socket.connect = _refuse  # type: ignore[method-assign]
socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
socket.create_connection = _refuse
asyncio.BaseEventLoop.create_connection = _refuse_async  # type: ignore[method-assign]
asyncio.BaseEventLoop.sock_connect = _refuse_async  # type: ignore[method-assign]
