"""Per-socket live state: the connection, its subscribers and their bounded mailboxes."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.websockets import WebSocket

from api.auth.principal import Principal


class Mailbox:
    """A bounded FIFO with one reader: lighter than asyncio.Queue (memory per socket)."""

    __slots__ = ("items", "limit", "waiter")

    def __init__(self, limit: int) -> None:
        self.items: list[Any] = []  # short: a list is lighter than a deque per socket
        self.limit = limit
        self.waiter: asyncio.Future[None] | None = None

    def put(self, item: Any, *, force: bool = False) -> bool:
        """Append unless full (False then); `force` ignores the bound (the end marker)."""
        if len(self.items) >= self.limit and not force:
            return False
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)
        return True

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)

    def __len__(self) -> int:
        return len(self.items)


class Subscriber:
    """One live subscription of one websocket."""

    __slots__ = (
        "connection",
        "execution",
        "kind",
        "owner",
        "page_id",
        "page_key",
        "prefix",
        "queue",
        "target_id",
        "workspace_id",
    )

    def __init__(
        self,
        connection: LiveConnection,
        kind: str,
        workspace_id: int,
        target_id: int | None,
        queue_size: int,
    ) -> None:
        self.connection = connection
        self.kind = kind
        self.workspace_id = workspace_id
        self.target_id = target_id
        self.queue = Mailbox(queue_size)
        self.owner = owner_key(connection)  # whose subscription budget it counts against
        # The fast path (api.live.fastpath): the subscription's execution context and the
        # frame prefix with its operation id; None = strawberry's per-subscriber path.
        self.execution: Any = None
        self.prefix: str | None = None
        # Public status page subscriptions (kind "status_page"): the page, and its access
        # key when subscribed (visibility and password hash: a change ends the stream).
        self.page_id: int | None = None
        self.page_key: str | None = None


class LiveConnection:
    """A websocket on /graphql and the principal it authenticated as."""

    __slots__ = ("closed", "context", "principal", "subscribers", "token", "websocket")

    def __init__(
        self,
        websocket: WebSocket,
        principal: Principal,
        token: str | None,
        context: Any = None,
    ) -> None:
        self.websocket = websocket
        self.principal = principal
        # Kept to re-resolve the principal when its rights change (api.live.relay) and to
        # re-validate after a pub/sub outage (events may be lost).
        self.token = token
        # The socket's GraphQL context (shared by its operations): a refreshed principal
        # is set on it too, so running subscriptions resolve their fields with it.
        self.context = context
        self.subscribers: set[Subscriber] = set()
        self.closed = False


def owner_key(connection: LiveConnection) -> str:
    """The principal a subscription counts against: the user, whatever the credential."""
    principal = connection.principal
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.credential_id is not None:
        return f"{principal.kind}:{principal.credential_id}"
    client = connection.websocket.client
    return f"ip:{client.host if client else 'unknown'}"


class LiveUnavailable(RuntimeError):
    """The relay is not running in this process (or the connection was closed)."""
