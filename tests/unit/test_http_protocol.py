"""web/http_protocol.py: a response's head leaves with its body in one write; nothing is held past a turn."""

from __future__ import annotations

import asyncio
from typing import Any

from paykeep.web.http_protocol import CoalescingTransport


class RecordingTransport:
    """What the kernel would be asked to send: one entry per write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8420) if name == "sockname" else default


def run(steps: Any) -> RecordingTransport:
    sent = RecordingTransport()

    async def main() -> None:
        transport = CoalescingTransport(sent, asyncio.get_running_loop())
        await steps(transport, sent)
        await asyncio.sleep(0)  # let the turn end

    asyncio.run(main())
    return sent


def test_head_and_body_leave_in_one_write_in_order() -> None:
    async def steps(t: CoalescingTransport, sent: RecordingTransport) -> None:
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        assert sent.writes == []  # held ...
        t.write(b"{}")
        assert sent.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]  # ... until the body
        t.write(b"HTTP/1.1 204 No Content\r\n\r\n")  # the next response on the connection

    sent = run(steps)
    assert sent.writes[-1] == b"HTTP/1.1 204 No Content\r\n\r\n"  # a lone write leaves at the end of the turn
    assert len(sent.writes) == 2


def test_close_sends_what_is_held_first_and_other_calls_reach_the_transport() -> None:
    async def steps(t: CoalescingTransport, sent: RecordingTransport) -> None:
        assert t.get_extra_info("sockname") == ("127.0.0.1", 8420)
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.close()
        assert sent.writes == [b"HTTP/1.1 200 OK\r\n\r\n"] and sent.closed and t.is_closing()

    sent = run(steps)
    assert len(sent.writes) == 1  # the end-of-turn flush finds nothing left and a closed transport
