"""uvicorn's httptools protocol, sending each response in one write instead of two.

uvicorn writes a response's head when the app sends `http.response.start` and its body when the app sends
`http.response.body`: two `send()` calls to the kernel, two TCP segments and two wake-ups of the client for
a ~600-byte JSON answer. Here a write is held until the next one, which takes it along: the head leaves with
the body, at the moment uvicorn writes the body. A write nothing follows in the same turn of the event loop
(the head of a HEAD response, `100 Continue`) leaves at the end of that turn; `close()` writes what is held
first. Measured with wrk on GET /v1/customers/{id}, 2 processes: +13 % requests/s at 8 connections, p99
4.2 -> 2.2 ms.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that holds one write until the next (or the end of the event loop's turn)."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._held = None
            self._transport.write(held + data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's own
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
