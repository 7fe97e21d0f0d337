"""The network under httpx's connection pools: anyio's, with each socket looked up once.

httpcore asks every idle connection of a pool whether its socket is readable (the server
closed it) each time it assigns or releases a request; anyio answers each ask by building all
the socket's attributes, a ``getpeername`` system call among them. Over a 1,000-feed pass
that was a fifth of the event loop's work. Here the socket is found when the connection opens
and the ask is one ``poll`` of it.
"""

from __future__ import annotations

import select
import socket
import ssl
import sys
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# The type of httpcore's socket options (level, option, value), as its backends take them.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def is_readable(sock: socket.socket | None) -> bool:
    """Whether ``sock`` has something to read now; True for a socket that is gone.

    An idle keep-alive connection whose socket is readable was closed by the server: the
    next read would give its end.
    """
    descriptor = -1 if sock is None else sock.fileno()
    if descriptor < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        readable, _, _ = select.select([descriptor], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """A connection's stream, its socket kept from the start (TLS keeps the same socket)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self._inner = inner
        self._socket = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        secured = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(secured, self._socket)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return is_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class SocketKeepingBackend(httpcore.AsyncNetworkBackend):
    """anyio's network backend, whose streams answer httpcore's readability asks cheaply."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream, stream.get_extra_info("socket"))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _Stream(stream, stream.get_extra_info("socket"))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def http_transport(*, verify: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, its connection pool on :class:`SocketKeepingBackend`.

    httpx takes no network backend, so its pool is built again with one; a proxy from the
    environment is still honoured by the client, which mounts a transport of its own for it.
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=verify,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=SocketKeepingBackend(),
    )
    return transport
