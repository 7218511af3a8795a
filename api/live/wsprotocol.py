"""uvicorn's websockets-sansio protocol, leaner per idle websocket.

An idle subscribed websocket lives for hours; per connection this keeps neither the
handshake request and response (their header maps, ~5 KB, are not used once the
handshake is done) nor an asyncio.Queue (three deques, ~2.3 KB) for received messages.

It also puts its own `send` in the ASGI scope (RAW_SEND): the live fast path sends its
pre-encoded frames with it, past the middleware wrappers (which do nothing for
websocket messages).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

RAW_SEND = "hitflow.ws_send"


class _Inbox:
    """The subset of asyncio.Queue uvicorn uses (put_nowait, get, empty), one reader."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)

    def empty(self) -> bool:
        return not self.items

    def qsize(self) -> int:
        return len(self.items)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]  # duck-types the asyncio.Queue methods uvicorn calls

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope[RAW_SEND] = self.send

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # uvicorn no longer reads them once the handshake is done: free their memory.
            self.request = None  # type: ignore[assignment]  # typed non-optional upstream
            self.response = None  # type: ignore[assignment]  # typed non-optional upstream
