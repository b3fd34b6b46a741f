"""Node clocks: each emulated node keeps its own time, as a real machine does, and its TLS follows it.

A Talos node signs its API certificate with its own clock (siderolabs/talos internal/app/machined/pkg/
controllers/secrets/api.go: siderolabs/crypto x509.NewDefaultOptions sets NotBefore to time.Now()) and
verifies client certificates against it (Go crypto/tls handshake_server.go processCertsFromClient:
VerifyOptions.CurrentTime = c.config.time(), i.e. time.Now() on the node). Python's ssl has no per-context
clock, so the emulator sets OpenSSL's verification time (X509_VERIFY_PARAM_set_time) on the node's server
context just before each connection's SSL object is made from it, on its own event loop.

It also reproduces what Go sends when it refuses a client certificate: alertUnknownCA for another CA and
alertCertificateExpired when x509 says Expired, which in Go covers "not yet valid" too (OpenSSL would send
bad_certificate for that), and it flushes that alert before closing, as Go's sendAlert does (asyncio drops
pending TLS output when a handshake fails).
"""

from __future__ import annotations

import asyncio
import ctypes
import ssl
import time
from asyncio import constants, selector_events, sslproto
from collections.abc import Callable
from typing import Any

_libssl = ctypes.CDLL("libssl.so.3")  # the OpenSSL Python's _ssl module is linked against
_libcrypto = ctypes.CDLL("libcrypto.so.3")
_libssl.SSL_CTX_get0_param.restype = ctypes.c_void_p
_libssl.SSL_CTX_get0_param.argtypes = [ctypes.c_void_p]
_libssl.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
_libssl.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
_libcrypto.X509_VERIFY_PARAM_set_time.argtypes = [ctypes.c_void_p, ctypes.c_int64]
_libcrypto.X509_STORE_CTX_get_error.argtypes = [ctypes.c_void_p]
_libcrypto.X509_STORE_CTX_set_error.argtypes = [ctypes.c_void_p, ctypes.c_int]

_X509_V_ERR_CERT_NOT_YET_VALID = 9
_X509_V_ERR_CERT_HAS_EXPIRED = 10
_SSL_VERIFY_PEER_REQUIRED = 0x01 | 0x02  # SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT (CERT_REQUIRED)
_VERIFY_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)


def _go_alerts(ok: int, store: int) -> int:
    if not ok and _libcrypto.X509_STORE_CTX_get_error(store) == _X509_V_ERR_CERT_NOT_YET_VALID:
        _libcrypto.X509_STORE_CTX_set_error(store, _X509_V_ERR_CERT_HAS_EXPIRED)
    return ok


_as_go_reports = _VERIFY_CALLBACK(_go_alerts)  # kept referenced: OpenSSL calls it for every handshake


def _ssl_ctx(context: ssl.SSLContext) -> int:
    """The SSL_CTX* inside CPython's PySSLContext (its first field after the object header)."""
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    expected = _SSL_VERIFY_PEER_REQUIRED if context.verify_mode == ssl.CERT_REQUIRED else None
    if not pointer or (expected is not None and _libssl.SSL_CTX_get_verify_mode(pointer) != expected):
        raise RuntimeError("cannot reach the SSL_CTX of an ssl.SSLContext (CPython layout changed?)")
    return pointer


class NodeClock:
    """Host time plus this node's offset (seconds; positive: the node runs ahead)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset


_clocks: dict[int, tuple[ssl.SSLContext, Callable[[], float]]] = {}


def verify_by(context: ssl.SSLContext, clock: NodeClock) -> None:
    """Verify this server context's client certificates against `clock`, with Go's alerts."""
    if context.verify_mode == ssl.CERT_REQUIRED:
        _libssl.SSL_CTX_set_verify(_ssl_ctx(context), _SSL_VERIFY_PEER_REQUIRED,
                                   ctypes.cast(_as_go_reports, ctypes.c_void_p))
    _clocks[id(context)] = (context, clock.now)


def forget(context: ssl.SSLContext) -> None:
    _clocks.pop(id(context), None)


class _AlertingSSLProtocol(sslproto.SSLProtocol):
    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        transport: Any = self._transport
        if handshake_exc is not None and transport is not None:
            alert = self._outgoing.read()  # type: ignore[attr-defined]
            if alert:
                transport.write(alert)
        super()._on_handshake_complete(handshake_exc)


class NodeClockLoop(asyncio.SelectorEventLoop):
    """The emulator's event loop: each TLS connection is verified by the clock of the node it reaches."""

    def _make_ssl_transport(
            self, rawsock: Any, protocol: Any, sslcontext: ssl.SSLContext, waiter: Any = None, *,
            server_side: bool = False, server_hostname: str | None = None, extra: Any = None, server: Any = None,
            ssl_handshake_timeout: Any = constants.SSL_HANDSHAKE_TIMEOUT,
            ssl_shutdown_timeout: Any = constants.SSL_SHUTDOWN_TIMEOUT) -> Any:
        registered = _clocks.get(id(sslcontext))
        if registered is not None and registered[0] is sslcontext:
            param = _libssl.SSL_CTX_get0_param(_ssl_ctx(sslcontext))  # copied into the SSL object made below
            _libcrypto.X509_VERIFY_PARAM_set_time(param, int(registered[1]()))
        ssl_protocol = _AlertingSSLProtocol(self, protocol, sslcontext, waiter, server_side, server_hostname,
                                            ssl_handshake_timeout=ssl_handshake_timeout,
                                            ssl_shutdown_timeout=ssl_shutdown_timeout)
        selector_events._SelectorSocketTransport(self, rawsock, ssl_protocol, extra=extra,  # type: ignore[attr-defined]
                                                 server=server)
        return ssl_protocol._app_transport
