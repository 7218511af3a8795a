"""The live-event relay: ONE Redis pub/sub subscription per API process, fanned out to
the websocket subscribers of this process, indexed by workspace.

Each subscriber has a bounded queue. A client too slow to drain it is disconnected
(close code 4008) rather than allowed to grow the process's memory. A `revocation`
event closes the websockets of the revoked credentials (close code 4401).

Rights on a live connection: every operation a socket sends is authorised against a
freshly resolved principal (api.graphql.endpoint.HitflowGraphQL.authorize_ws_operation).
Running subscriptions are refreshed by events: a `rights_changed` event (role change,
OAuth client change...) makes the relay re-resolve the principal of the affected
connections (one database round-trip each) and set it on the socket's context, so the
next events are resolved with the current rights (write-only fields such as
Target.heartbeatUrl disappear after a demotion); a subscription whose workspace or scope
is no longer readable is ended.

Close codes sent by the relay (documented for the SPA and mobile apps):
  4401  the session or token of this connection was revoked (log in again)
  4403  the user left one of the connection's workspaces (reconnect: fresh memberships)
  4008  the client did not keep up with its events (reconnect and refetch)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections import defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from starlette.websockets import WebSocket

from api.auth.principal import Principal
from api.auth.resolve import resolve_token
from api.core.logging import get_logger
from api.events import events_channel
from api.live.connections import LiveConnection, LiveUnavailable, Subscriber, owner_key
from api.live.payloads import CONVERTERS, Converter
from api.live.sharing import SharedEvent
from api.live.wsprotocol import RAW_SEND
from api.metrics.own import WEBSOCKETS
from api.resources import Resources
from api.statuspages.live_view import PAGE_EVENTS, PageConverter, page_views

log = get_logger(__name__)

CLOSE_REVOKED = 4401
CLOSE_MEMBERSHIP = 4403
CLOSE_TOO_SLOW = 4008
SCOPE_KEY = "hitflow.live"  # where a websocket's LiveConnection is kept in its ASGI scope

_CLOSED = object()  # queue sentinel: the subscription ends

# The scope each subscription kind needs (api.live.subscriptions checks it at the start).
SUBSCRIPTION_SCOPES: dict[str, str] = {
    "check_result": "results:read",
    "target_status": "targets:read",
    "incident": "alerts:read",
}
# Public status pages (api.statuspages.live): no principal, fed by PAGE_EVENTS.
PAGE_KIND = "status_page"


class Relay:
    def __init__(
        self,
        resources: Resources,
        converters: dict[str, Converter],
        pages: PageConverter = page_views,
    ) -> None:
        self.resources = resources
        self.settings = resources.settings
        self.converters = converters
        self.pages = pages
        self.connections: set[LiveConnection] = set()
        self.by_workspace: dict[int, set[Subscriber]] = defaultdict(set)
        # Live subscriptions per principal (api.live.connections.owner_key), this process.
        self.by_owner: dict[str, int] = {}
        self.ready = asyncio.Event()  # set while the pub/sub subscription is live
        self.name = f"hitflow-live-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.delivered = 0
        self.dropped_slow = 0
        self._task: asyncio.Task[None] | None = None
        self._redis: Redis | None = None
        self._closers: set[asyncio.Task[None]] = set()

    # --- connections and subscribers -----------------------------------------------

    def connect(
        self,
        websocket: WebSocket,
        principal: Principal,
        token: str | None,
        context: Any = None,
    ) -> None:
        connection = LiveConnection(websocket, principal, token, context)
        websocket.scope[SCOPE_KEY] = connection
        self.connections.add(connection)
        WEBSOCKETS.set(len(self.connections))

    def disconnect(self, scope: dict[str, Any]) -> None:
        connection = scope.pop(SCOPE_KEY, None)
        if connection is None:
            return
        connection.closed = True
        self.connections.discard(connection)
        WEBSOCKETS.set(len(self.connections))
        for subscriber in list(connection.subscribers):
            self._remove(subscriber)

    def subscribe(
        self, websocket: WebSocket, kind: str, workspace_id: int, target_id: int | None = None
    ) -> Subscriber:
        connection: LiveConnection | None = websocket.scope.get(SCOPE_KEY)
        if connection is None or connection.closed:
            raise LiveUnavailable("Live updates are not available on this connection.")
        if len(connection.subscribers) >= self.settings.live_max_subscriptions_per_connection:
            raise OverflowError(
                f"At most {self.settings.live_max_subscriptions_per_connection} "
                "subscriptions per connection (HITFLOW_LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION)."
            )
        owner = owner_key(connection)
        per_owner = self.settings.live_max_subscriptions_per_principal
        if self.by_owner.get(owner, 0) >= per_owner:
            raise OverflowError(
                f"At most {per_owner} subscriptions per user across their connections "
                "(HITFLOW_LIVE_MAX_SUBSCRIPTIONS_PER_PRINCIPAL)."
            )
        subscriber = Subscriber(
            connection, kind, workspace_id, target_id, self.settings.live_queue_size
        )
        self.by_owner[subscriber.owner] = self.by_owner.get(subscriber.owner, 0) + 1
        connection.subscribers.add(subscriber)
        self.by_workspace[workspace_id].add(subscriber)
        return subscriber

    def _remove(self, subscriber: Subscriber) -> None:
        if subscriber in subscriber.connection.subscribers:
            left = self.by_owner.get(subscriber.owner, 0) - 1
            if left > 0:
                self.by_owner[subscriber.owner] = left
            else:
                self.by_owner.pop(subscriber.owner, None)
        subscriber.connection.subscribers.discard(subscriber)
        local = self.by_workspace.get(subscriber.workspace_id)
        if local is not None:
            local.discard(subscriber)
            if not local:
                del self.by_workspace[subscriber.workspace_id]

    def _end(self, subscriber: Subscriber) -> None:
        """End one subscription (the client gets `complete`); the socket stays open."""
        self._remove(subscriber)
        subscriber.queue.put(_CLOSED, force=True)

    def connection_of(self, websocket: Any) -> LiveConnection | None:
        connection: LiveConnection | None = websocket.scope.get(SCOPE_KEY)
        return None if connection is None or connection.closed else connection

    def apply_principal(self, connection: LiveConnection, principal: Principal) -> None:
        """Use the connection's current principal from now on (its rights changed).

        The socket's context gets it (the next events of its subscriptions resolve their
        fields with it); subscriptions it may no longer read are ended.
        """
        connection.principal = principal
        if connection.context is not None:
            connection.context.principal = principal
        for subscriber in list(connection.subscribers):
            if subscriber.kind == PAGE_KIND:
                continue  # public: the same for every principal
            execution = subscriber.execution
            if execution is not None:
                execution.forget_share_key()  # the rights are part of the sharing key
            scope = SUBSCRIPTION_SCOPES.get(subscriber.kind)
            readable = principal.can_read(subscriber.workspace_id)
            if not readable or (scope is not None and not principal.has_scope(scope)):
                self._end(subscriber)

    async def refresh(self, connection: LiveConnection) -> None:
        """Re-resolve a connection's principal from its credential (one round-trip)."""
        if connection.token is None or connection.closed:
            return
        principal = await resolve_token(connection.token, self.settings)
        if connection.closed:
            return
        if principal is None:
            self.close_connection(connection, CLOSE_REVOKED, "Credential revoked.")
        elif set(connection.principal.memberships) - set(principal.memberships):
            self.close_connection(connection, CLOSE_MEMBERSHIP, "Membership changed.")
        else:
            self.apply_principal(connection, principal)

    async def rights_changed(self, event: dict[str, Any]) -> int:
        """Refresh the principals of the connections an event names; returns how many.

        {"userId": n}: that user's connections; {"workspaceId": n}: every connection that
        reads the workspace (an OAuth client's scopes changed, a workspace is gone...).
        """
        user_id = event.get("userId")
        workspace_id = event.get("workspaceId")
        affected = [
            c
            for c in self.connections
            if (user_id is not None and c.principal.user_id == user_id)
            or (isinstance(workspace_id, int) and c.principal.can_read(workspace_id))
        ]
        if not affected:
            return 0
        results = await asyncio.gather(*(self.refresh(c) for c in affected), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("live_refresh_failed", error=type(result).__name__)
        log.info("live_rights_refreshed", user_id=user_id, connections=len(affected))
        return len(affected)

    async def stream(self, subscriber: Subscriber) -> AsyncGenerator[Any, None]:
        """The items of one subscriber, until its connection closes.

        With the fast path (a shareable event, a known frame prefix) the frame is sent
        here, straight to the socket; only the other items go through strawberry.
        """
        queue = subscriber.queue
        execution = subscriber.execution
        prefix = subscriber.prefix
        connection = subscriber.connection
        send = connection.websocket.scope.get(RAW_SEND) or _send_via(connection.websocket)
        try:
            while True:
                item = await queue.get()
                if item is _CLOSED:
                    return
                if prefix is not None and type(item) is SharedEvent:
                    payload = await execution.payload_json(item)
                    if payload is not None:
                        if connection.closed:
                            continue
                        try:
                            await send({"type": "websocket.send", "text": prefix + payload + "}"})
                        except Exception:  # the client is gone: wait for the teardown
                            while await queue.get() is not _CLOSED:
                                pass
                            return
                        continue
                yield item
        finally:
            self._remove(subscriber)

    def subscriber_count(self, workspace_id: int | None = None) -> int:
        if workspace_id is None:
            return sum(len(s) for s in self.by_workspace.values())
        return len(self.by_workspace.get(workspace_id, ()))

    # --- closing connections ---------------------------------------------------------

    def close_connection(self, connection: LiveConnection, code: int, reason: str) -> None:
        if connection.closed:
            return
        connection.closed = True
        self.connections.discard(connection)
        WEBSOCKETS.set(len(self.connections))
        for subscriber in list(connection.subscribers):
            self._remove(subscriber)
            # Wake the generator so strawberry stops sending on this socket.
            subscriber.queue.put(_CLOSED, force=True)
        task = asyncio.create_task(self._close(connection.websocket, code, reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    @staticmethod
    async def _close(websocket: WebSocket, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to close
            await websocket.close(code=code, reason=reason)

    def revoke(self, event: dict[str, Any]) -> int:
        """Close the connections authenticated by revoked credentials; returns how many."""
        user_id = event.get("userId")
        everything = bool(event.get("all"))
        kind = event.get("kind")
        credential_ids = set(event.get("credentialIds") or ())
        closed = 0
        for connection in list(self.connections):
            principal = connection.principal
            if everything:
                hit = principal.user_id is not None and principal.user_id == user_id
            else:
                # By credential: client-credentials OAuth tokens have no user (userId null).
                hit = (
                    principal.kind == kind
                    and principal.credential_id in credential_ids
                    and principal.user_id == user_id
                )
            if hit:
                self.close_connection(connection, CLOSE_REVOKED, "Credential revoked.")
                closed += 1
        if closed:
            log.info("live_connections_revoked", user_id=user_id, connections=closed)
        return closed

    def membership_removed(self, event: dict[str, Any]) -> int:
        """Close the user's connections that still carry the removed membership."""
        closed = 0
        workspace_id = event.get("workspaceId")
        if not isinstance(workspace_id, int):
            return 0
        for connection in list(self.connections):
            principal = connection.principal
            if principal.user_id == event.get("userId") and principal.can_read(workspace_id):
                self.close_connection(connection, CLOSE_MEMBERSHIP, "Membership changed.")
                closed += 1
        return closed

    async def revalidate(self) -> None:
        """Re-check every connection's credential (after an outage, revocations may be lost)."""
        for connection in list(self.connections):
            try:
                await self.refresh(connection)
            except Exception as exc:  # the database is down too: try again next time
                log.warning("live_revalidate_failed", error=type(exc).__name__)
                return

    # --- dispatch ----------------------------------------------------------------------

    async def dispatch(self, event: dict[str, Any]) -> int:
        """Deliver one event to the local subscribers; returns how many got it."""
        event_type = event.get("type")
        if event_type == "revocation":
            self.revoke(event)
            return 0
        if event_type == "membership_removed":
            self.membership_removed(event)
            return 0
        if event_type == "rights_changed":
            await self.rights_changed(event)
            return 0
        converter = self.converters.get(str(event_type))
        workspace_id = event.get("workspaceId")
        if not isinstance(workspace_id, int):
            return 0
        local = self.by_workspace.get(workspace_id)
        if not local:
            return 0
        delivered = 0
        if event_type in PAGE_EVENTS:
            delivered += await self._dispatch_pages(event, local)
        if converter is None:
            return delivered
        target_id = event.get("targetId")
        matching = [
            s
            for s in local
            if s.kind == event_type and (s.target_id is None or s.target_id == target_id)
        ]
        if not matching:
            return delivered
        # Built once per event per process, whatever the number of subscribers; the
        # wrapper lets subscribers with the same query and rights share one execution.
        value = await converter(event)
        if value is None:
            return delivered
        return delivered + self._deliver(matching, SharedEvent(value))

    def _deliver(self, subscribers: list[Subscriber], item: SharedEvent) -> int:
        delivered = 0
        for subscriber in subscribers:
            if subscriber.connection.closed:
                continue
            if subscriber.queue.put(item):
                delivered += 1
            else:
                self.dropped_slow += 1
                log.info("live_client_too_slow", user_id=subscriber.connection.principal.user_id)
                self.close_connection(
                    subscriber.connection, CLOSE_TOO_SLOW, "Too slow: events not read in time."
                )
        self.delivered += delivered
        return delivered

    async def _dispatch_pages(self, event: dict[str, Any], local: set[Subscriber]) -> int:
        """The fresh public view of each status page the event concerns, built once per
        page per process, to that page's live subscribers. A page deleted, or whose
        visibility or password changed, ends its subscriptions."""
        by_page: dict[int, list[Subscriber]] = defaultdict(list)
        for s in local:
            if s.kind == PAGE_KIND and s.page_id is not None:
                by_page[s.page_id].append(s)
        if not by_page:
            return 0
        views = await self.pages(event, sorted(by_page))
        delivered = 0
        for page_id, subscribers in by_page.items():
            key, value = views.get(page_id, (None, None))
            current = []
            for subscriber in subscribers:
                if key is None or key != subscriber.page_key:
                    self._end(subscriber)
                else:
                    current.append(subscriber)
            if value is not None and current:
                delivered += self._deliver(current, SharedEvent(value))
        return delivered

    async def _handle(self, data: bytes | str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("live_bad_event")
            return
        if not isinstance(event, dict):
            return
        try:
            await self.dispatch(event)
        except Exception as exc:  # one bad event must not stop the relay
            log.error("live_dispatch_failed", event_type=event.get("type"), error=repr(exc))

    # --- the pub/sub loop ----------------------------------------------------------------

    def _pubsub_client(self) -> Redis:
        pool = self.resources.redis.connection_pool
        kwargs = {**pool.connection_kwargs, "client_name": self.name}
        return Redis(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **kwargs)
        )

    async def _run(self) -> None:
        backoff = 0.1
        outage = False
        while True:
            pubsub = None
            try:
                if self._redis is None:
                    self._redis = self._pubsub_client()
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(events_channel(self.resources.redis))
                self.ready.set()
                backoff = 0.1
                if outage:
                    log.info("live_pubsub_reconnected")
                    outage = False
                    await self.revalidate()
                idle = 0.0
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None:
                        idle += 5.0
                        if idle >= 15.0:  # detect a silently dead connection
                            await pubsub.ping()
                            idle = 0.0
                        continue
                    idle = 0.0
                    if message.get("type") == "message":
                        await self._handle(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready.clear()
                outage = True
                log.warning("live_pubsub_lost", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-relay")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.ready.wait(), timeout=5.0)

    async def stop(self) -> None:
        for connection in list(self.connections):
            self.close_connection(connection, 1001, "Server shutting down.")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _send_via(websocket: WebSocket) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """The websocket's own send (when the server is not `hitflow api`'s protocol)."""
    return websocket.send


def relay_of(websocket: Any) -> Relay | None:
    """The relay of the app serving this websocket (None when services are not started)."""
    app = websocket.scope.get("app")
    return getattr(app.state, "live_relay", None) if app is not None else None


async def start(app: Any, resources: Resources) -> Relay:
    relay = Relay(resources, CONVERTERS)
    await relay.start()
    app.state.live_relay = relay
    return relay
