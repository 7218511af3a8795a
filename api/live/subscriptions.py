"""GraphQL subscriptions: check results, target status changes and incidents, live.

Each subscription checks the token's scope and the caller's membership of the
workspace (a foreign or unknown id is NOT_FOUND, never data), then streams the
events the process's relay dispatches to it. Fields whose object type does not
exist in this build (another domain not installed) are left out of the schema.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.tools import merge_types

from api.core.errors import DomainError, PublicGraphQLError
from api.db import module_exists
from api.graphql.context import Info
from api.graphql.ids import decode
from api.graphql.permissions import requires
from api.live import service
from api.live.fastpath import CURRENT_FRAME_PREFIX
from api.live.relay import LiveUnavailable, relay_of
from api.live.sharing import CURRENT_EXECUTION


class SubscriptionError(PublicGraphQLError):
    """A refused subscription (bad arguments, unknown or foreign id), with its code."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        self.code = code
        extensions = {"field": field} if field else {}
        super().__init__(message, **extensions)


def _refused(exc: DomainError) -> SubscriptionError:
    return SubscriptionError(exc.code, exc.message, exc.field)


async def _open(
    info: Info, kind: str, workspace_id: int, target_id: int | None = None
) -> AsyncGenerator[Any, None]:
    websocket = info.context.request
    relay = relay_of(websocket)
    if relay is None or websocket.scope.get("type") != "websocket":
        raise SubscriptionError("UNAVAILABLE", "Live updates need a websocket on /graphql.")
    try:
        subscriber = relay.subscribe(websocket, kind, workspace_id, target_id)
    except LiveUnavailable as exc:
        raise SubscriptionError("UNAVAILABLE", str(exc)) from None
    except OverflowError as exc:
        raise SubscriptionError("LIMIT_REACHED", str(exc)) from None
    execution = CURRENT_EXECUTION.get()
    prefix = CURRENT_FRAME_PREFIX.get()
    if (
        prefix is not None
        and execution is not None
        and execution.context_value is info.context
        and hasattr(execution, "payload_json")
    ):
        subscriber.execution = execution
        subscriber.prefix = prefix
    return relay.stream(subscriber)


def _workspace(info: Info, workspace_id: strawberry.ID) -> int:
    try:
        pk = decode(workspace_id, "Workspace", field="workspaceId")
        return service.readable_workspace(info.context.principal, pk)
    except DomainError as exc:
        raise _refused(exc) from None


async def _target_workspace(info: Info, target_id: strawberry.ID) -> tuple[int, int]:
    try:
        pk = decode(target_id, "Target", field="targetId")
        return await service.readable_target_workspace(info.context.principal, pk), pk
    except DomainError as exc:
        raise _refused(exc) from None


parts: list[type] = []

if module_exists("api.results.types"):
    from api.results.types import CheckResult

    @strawberry.type
    class ResultSubscription:
        @strawberry.subscription(
            description=(
                "Check results as they are ingested, for one target (targetId) or for every "
                "target of a workspace (workspaceId): give exactly one of the two."
            ),
            permission_classes=[requires("results:read")],
        )
        async def check_results(
            self,
            info: Info,
            target_id: strawberry.ID | None = None,
            workspace_id: strawberry.ID | None = None,
        ) -> AsyncGenerator[CheckResult, None]:
            if (target_id is None) == (workspace_id is None):
                raise SubscriptionError(
                    "INVALID", "Give exactly one of targetId or workspaceId.", "targetId"
                )
            if target_id is not None:
                workspace, target = await _target_workspace(info, target_id)
                return await _open(info, "check_result", workspace, target)
            assert workspace_id is not None
            return await _open(info, "check_result", _workspace(info, workspace_id))

    parts.append(ResultSubscription)

if module_exists("api.targets.types"):
    from api.targets.types import Target

    @strawberry.type
    class TargetSubscription:
        @strawberry.subscription(
            description="Targets of a workspace whose overall status changes (UP, DOWN...).",
            permission_classes=[requires("targets:read")],
        )
        async def target_status_changed(
            self, info: Info, workspace_id: strawberry.ID
        ) -> AsyncGenerator[Target, None]:
            return await _open(info, "target_status", _workspace(info, workspace_id))

    parts.append(TargetSubscription)

if module_exists("api.incidents.types"):
    from api.incidents.types import Incident

    @strawberry.type
    class IncidentSubscription:
        @strawberry.subscription(
            description="Incidents of a workspace as they open and as they resolve.",
            permission_classes=[requires("alerts:read")],
        )
        async def incidents(
            self, info: Info, workspace_id: strawberry.ID
        ) -> AsyncGenerator[Incident, None]:
            return await _open(info, "incident", _workspace(info, workspace_id))

    parts.append(IncidentSubscription)


if not parts:  # a partial build without the monitoring types: keep the schema valid

    @strawberry.type
    class Unavailable:
        @strawberry.subscription(description="Live updates are not installed in this build.")
        async def live_updates_available(self) -> AsyncGenerator[bool, None]:
            yield False

    parts.append(Unavailable)

Subscription = merge_types("Subscription", tuple(parts))
