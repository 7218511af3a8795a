"""Privacy queries: partners and policy (public), my exports, staff support views."""

from __future__ import annotations

import strawberry

from api.core.errors import DomainError
from api.core.ids import decode_or_none
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.permissions import IsStaff, requires
from api.privacy import models, partners, statistics, support
from api.privacy.types import (
    DataExport,
    Partner,
    PrivacyPolicy,
    SupportUser,
    SupportWorkspace,
    UsageStatistic,
)


def _me(info: Info) -> int:
    user_id = info.context.principal.user_id
    assert user_id is not None  # the permission class admitted an authenticated user
    return user_id


@strawberry.type
class Query:
    @strawberry.field(description="Public: the subprocessors that handle data for Hitflow.")
    def partners(self, info: Info) -> list[Partner]:
        return [
            Partner(name=p.name, purpose=p.purpose, location=p.location)
            for p in partners.partners(info.context.settings)
        ]

    @strawberry.field(description="Public: the version and date of the privacy policy in force.")
    def privacy_policy(self, info: Info) -> PrivacyPolicy:
        settings = info.context.settings
        return PrivacyPolicy(
            version=settings.privacy_policy_version,
            effective_at=partners.policy_effective_at(settings),
            url=settings.privacy_policy_url,
        )

    @strawberry.field(
        description="The caller's data exports, newest first.",
        permission_classes=[requires("account:read")],
    )
    async def data_exports(self, info: Info) -> list[DataExport]:
        rows = (
            await models.DataExport.filter(user_id=info.context.principal.user_id)
            .order_by("-id")
            .limit(20)
        )
        return [DataExport.from_model(info, r) for r in rows]

    @strawberry.field(
        description="Staff only: an account's support view; the reason is shown to the customer.",
        permission_classes=[IsStaff],
    )
    async def staff_user(self, info: Info, email: str, reason: str) -> SupportUser | None:
        try:
            view = await support.read_user(_me(info), email, reason)
        except DomainError as exc:
            raise InvalidArgument(exc.message, field=exc.field) from None
        return SupportUser.from_view(view) if view else None

    @strawberry.field(
        description="Staff only: a workspace's support view; every member sees the reason.",
        permission_classes=[IsStaff],
    )
    async def staff_workspace(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> SupportWorkspace | None:
        pk = decode_or_none(id, "Workspace")
        try:
            if pk is None:
                support.audit.clean_reason(reason)
                return None
            view = await support.read_workspace(_me(info), pk, reason)
        except DomainError as exc:
            raise InvalidArgument(exc.message, field=exc.field) from None
        return SupportWorkspace.from_view(view) if view else None

    @strawberry.field(
        description="Staff only: the latest anonymous usage statistics.",
        permission_classes=[IsStaff],
    )
    async def usage_statistics(self, info: Info) -> list[UsageStatistic]:
        return [
            UsageStatistic(day=r.day, metric=r.metric, bucket=r.bucket, value=r.value)
            for r in await statistics.latest_statistics()
        ]
