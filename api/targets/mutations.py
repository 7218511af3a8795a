"""Target mutations: create, update, delete, pause, resume."""

from __future__ import annotations

from typing import Any

import strawberry

from api.core.errors import DomainError, Forbidden
from api.core.ids import decode, encode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.graphql.typed import chosen_config
from api.targets import service
from api.targets.config_types import config_from_input
from api.targets.models import TargetKind
from api.targets.types import AlertPolicyInput, Target, TargetInput, TargetPatch, TargetPayload

WRITE = [requires("targets:write")]


def _policy(value: AlertPolicyInput | None) -> dict[str, Any] | None:
    return None if value is None else value.to_raw(field="alertPolicy")


def _require_alerts_write(info: Info, sent: bool) -> None:
    """Choosing who is alerted is an alerts:write action, even on a target."""
    if sent and not info.context.principal.has_scope("alerts:write"):
        raise Forbidden("Missing scope: alerts:write (to set alertPolicy).", scope="alerts:write")


def _changes(patch: TargetPatch) -> service.TargetChanges:
    values: dict[str, Any] = {}
    if patch.typed_config is not strawberry.UNSET:
        patch.config = chosen_config(
            patch.config, patch.typed_config, lambda t: config_from_input(t, None), required=True
        )
    for attr in ("name", "config", "interval_seconds", "timeout_seconds", "regions"):
        value = getattr(patch, attr)
        if value is strawberry.UNSET:
            continue
        if value is None:
            raise DomainError(f"{attr} cannot be null.", field=_camel(attr))
        values[attr] = value
    if patch.alert_policy is not strawberry.UNSET:
        values["alert_policy"] = _policy(patch.alert_policy)
    return service.TargetChanges(values)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a target to check.", permission_classes=WRITE)
    @domain_errors_in(TargetPayload)
    async def create_target(self, info: Info, input: TargetInput) -> TargetPayload:
        _require_alerts_write(info, input.alert_policy not in (None, strawberry.UNSET))
        row = await service.create_target(
            info.context.resources,
            info.context.principal,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            name=input.name,
            kind=TargetKind(input.kind.value),
            config=chosen_config(
                input.config,
                input.typed_config,
                lambda typed: config_from_input(typed, TargetKind(input.kind.value)),
                required=True,
            ),
            interval_seconds=input.interval_seconds,
            timeout_seconds=input.timeout_seconds,
            regions=input.regions,
            alert_policy=_policy(input.alert_policy),
        )
        return TargetPayload(target=Target.from_model(row))

    @strawberry.mutation(description="Change a target.", permission_classes=WRITE)
    @domain_errors_in(TargetPayload)
    async def update_target(
        self, info: Info, id: strawberry.ID, input: TargetPatch
    ) -> TargetPayload:
        _require_alerts_write(info, input.alert_policy is not strawberry.UNSET)
        row = await service.update_target(
            info.context.resources,
            info.context.principal,
            decode(id, "Target"),
            _changes(input),
        )
        return TargetPayload(target=Target.from_model(row))

    @strawberry.mutation(description="Delete a target and its results.", permission_classes=WRITE)
    @domain_errors_in(DeletePayload)
    async def delete_target(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = await service.delete_target(
            info.context.resources, info.context.principal, decode(id, "Target")
        )
        return DeletePayload(deleted_id=strawberry.ID(encode("Target", pk)))

    @strawberry.mutation(description="Stop checking a target.", permission_classes=WRITE)
    @domain_errors_in(TargetPayload)
    async def pause_target(self, info: Info, id: strawberry.ID) -> TargetPayload:
        row = await service.pause_target(
            info.context.resources, info.context.principal, decode(id, "Target")
        )
        return TargetPayload(target=Target.from_model(row))

    @strawberry.mutation(description="Check a paused target again.", permission_classes=WRITE)
    @domain_errors_in(TargetPayload)
    async def resume_target(self, info: Info, id: strawberry.ID) -> TargetPayload:
        row = await service.resume_target(
            info.context.resources, info.context.principal, decode(id, "Target")
        )
        return TargetPayload(target=Target.from_model(row))
