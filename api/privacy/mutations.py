"""Privacy mutations: account deletion, data export, legal holds (staff)."""

from __future__ import annotations

import strawberry

from api.accounts.models import User
from api.graphql.context import Info
from api.graphql.payloads import domain_errors_in
from api.graphql.permissions import IsStaff, requires
from api.privacy import audit, deletion, export
from api.privacy.types import DataExport, DataExportPayload, LegalHoldPayload


@domain_errors_in(LegalHoldPayload)
async def _hold(info: Info, email: str, reason: str, held: bool) -> LegalHoldPayload:
    staff = await User.get(id=info.context.principal.user_id)
    user = await audit.set_legal_hold(staff, email, reason, held=held)
    # Only the hold state: the full support view would be a read the customer never sees
    # in the access log (hold events are confidential); staffUser is the logged read.
    return LegalHoldPayload(legal_hold=user.legal_hold)


def _me(info: Info) -> int:
    user_id = info.context.principal.user_id
    assert user_id is not None  # the permission class admitted an authenticated user
    return user_id


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Ask to delete your account: checks the password and e-mails a confirmation link "
            "(24 h). False when the password is wrong."
        ),
        permission_classes=[requires("account:write")],
    )
    async def request_account_deletion(self, info: Info, password: str) -> bool:
        return await deletion.request_account_deletion(info.context.resources, _me(info), password)

    @strawberry.mutation(
        description=(
            "Confirm the deletion with the e-mailed token: the account is locked at once and "
            "purged after the grace period. False when the link is invalid, used or expired."
        )
    )
    async def confirm_account_deletion(self, info: Info, token: str) -> bool:
        return await deletion.confirm_account_deletion(info.context.resources, token)

    @strawberry.mutation(
        description="Build an archive of all your data; a single-use link is mailed when ready.",
        permission_classes=[requires("account:write")],
    )
    @domain_errors_in(DataExportPayload)
    async def request_data_export(self, info: Info) -> DataExportPayload:
        row = await export.request_export(info.context.resources, _me(info))
        return DataExportPayload(export=DataExport.from_model(info, row))

    @strawberry.mutation(
        description="Staff only: place a legal hold (purge and retention skip the account).",
        permission_classes=[IsStaff],
    )
    async def place_legal_hold(self, info: Info, email: str, reason: str) -> LegalHoldPayload:
        return await _hold(info, email, reason, True)

    @strawberry.mutation(description="Staff only: lift a legal hold.", permission_classes=[IsStaff])
    async def lift_legal_hold(self, info: Info, email: str, reason: str) -> LegalHoldPayload:
        return await _hold(info, email, reason, False)
