"""GraphQL subscriptions: check results, target status changes and incidents, live.

Each subscription checks the token's scope and the caller's membership of the
workspace (a foreign or unknown id is NOT_FOUND, never data), then streams the
events the process's relay dispatches to it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from starlette.websockets import WebSocket

from api.core.errors import DomainError, PublicGraphQLError
from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.permissions import requires
from api.incidents.types import Incident
from api.live import service
from api.live.fastpath import CURRENT_FRAME_PREFIX
from api.live.relay import LiveUnavailable, relay_of
from api.live.sharing import CURRENT_EXECUTION
from api.results.types import CheckResult
from api.targets.types import Target


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
    if relay is None or not isinstance(websocket, WebSocket):
        raise SubscriptionError("UNAVAILABLE", "Live updates need a websocket on /graphql.")
    try:
        subscriber = relay.subscribe(websocket, kind, workspace_id, target_id)
    except LiveUnavailable as exc:
        raise SubscriptionError("UNAVAILABLE", str(exc)) from None
    except OverflowError as exc:
        raise SubscriptionError("LIMIT_REACHED", str(exc)) from None
    execution = CURRENT_EXECUTION.get()
    prefix = CURRENT_FRAME_PREFIX.get()
    if execution is not None and execution.context_value is info.context:
        # Kept also off the fast path: a rights change resets its sharing key.
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


@strawberry.input(
    one_of=True,
    description="Whose check results to stream: exactly one of a target or a workspace.",
)
class CheckResultsScope:
    target_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Global id of one target: its results only."
    )
    workspace_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Global id of a workspace: the results of all its targets.",
    )


_OLD_ARGUMENT = "Use `scope: {{{}: ...}}` (CheckResultsScope, @oneOf); removed in the next release."


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Check results as they are ingested, for one target or for every target of a "
            "workspace: give `scope` (the deprecated targetId / workspaceId: exactly one)."
        ),
        permission_classes=[requires("results:read")],
    )
    async def check_results(
        self,
        info: Info,
        scope: Annotated[
            CheckResultsScope | None,
            strawberry.argument(description="Whose results: a target or a workspace."),
        ] = None,
        target_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Global id of the target.",
                deprecation_reason=_OLD_ARGUMENT.format("targetId"),
            ),
        ] = None,
        workspace_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Global id of the workspace.",
                deprecation_reason=_OLD_ARGUMENT.format("workspaceId"),
            ),
        ] = None,
    ) -> AsyncGenerator[CheckResult, None]:
        if scope is not None:
            if target_id is not None or workspace_id is not None:
                raise SubscriptionError(
                    "INVALID", "Give scope alone, without targetId or workspaceId.", "scope"
                )
            target_id = scope.target_id or None
            workspace_id = scope.workspace_id or None
        elif (target_id is None) == (workspace_id is None):
            raise SubscriptionError(
                "INVALID",
                "Give exactly one of scope: {targetId} or scope: {workspaceId}.",
                "scope",
            )
        if target_id is not None:
            workspace, target = await _target_workspace(info, target_id)
            return await _open(info, "check_result", workspace, target)
        assert workspace_id is not None
        return await _open(info, "check_result", _workspace(info, workspace_id))

    @strawberry.subscription(
        description="Targets of a workspace whose overall status changes (UP, DOWN...).",
        permission_classes=[requires("targets:read")],
    )
    async def target_status_changed(
        self, info: Info, workspace_id: strawberry.ID
    ) -> AsyncGenerator[Target, None]:
        return await _open(info, "target_status", _workspace(info, workspace_id))

    @strawberry.subscription(
        description="Incidents of a workspace as they open and as they resolve.",
        permission_classes=[requires("alerts:read")],
    )
    async def incidents(
        self, info: Info, workspace_id: strawberry.ID
    ) -> AsyncGenerator[Incident, None]:
        return await _open(info, "incident", _workspace(info, workspace_id))
