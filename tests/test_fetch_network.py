"""The network under the fetcher's pools: idle connections the server closed are not reused."""

from __future__ import annotations

import asyncio
import socket

from tests.test_fetch import FEED, fast_settings
from veille.fetch import Fetcher
from veille.fetch._network import is_readable


def test_a_socket_is_readable_once_its_peer_has_closed_it() -> None:
    ours, theirs = socket.socketpair()
    with ours:
        assert not is_readable(ours), "an open, quiet connection has nothing to read"
        theirs.close()
        assert is_readable(ours), "the peer's close is there to read"
    # A socket that is gone counts as readable: its connection is dropped, never used again.
    assert is_readable(ours)
    assert is_readable(None)


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Keep-alive as far as the client knows (no "Connection: close"), then closed, as a
        # server does when its idle timeout is shorter than the client's.
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(FEED)}\r\n\r\n".encode()
        writer.write(head + FEED)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    # No retry: a request sent on the dead connection would fail, not be tried again.
    settings = fast_settings(concurrency=1, per_host=1, retries=0)
    try:
        async with Fetcher(settings) as fetcher:
            first = await fetcher.fetch(url, source="s")
            await asyncio.sleep(0.1)  # the server's close reaches the idle connection
            second = await fetcher.fetch(url, source="s")
    finally:
        server.close()
        await server.wait_closed()
    assert [first.body, second.body] == [FEED, FEED]
    assert connections == 2
