"""Membership rules: invitations, removal, roles.

- Only OWNER and ADMIN manage members; MEMBER and VIEWER get FORBIDDEN.
- Only an OWNER grants OWNER, or changes or removes another OWNER.
- A workspace always keeps at least one OWNER (checked under a row lock).
- Anyone may leave a workspace (remove themselves), except its last OWNER.
- A workspace the caller is not a member of reads as NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import quote

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.accounts.models import User
from api.accounts.validation import normalize_email
from api.auth.principal import Principal
from api.billing import limits
from api.billing.plans import Limit
from api.core import clock
from api.core.errors import (
    AlreadyExists,
    Expired,
    Forbidden,
    Invalid,
    LimitReached,
    NotFound,
    NotVerified,
)
from api.core.logging import get_logger
from api.core.tokens import EMAIL_PREFIX, hash_token, new_token
from api.events import publish
from api.mail.service import send_mail
from api.resources import Resources
from api.workspaces.models import ADMIN_ROLES, Invitation, Membership, Role, Workspace
from api.workspaces.service import get_visible

log = get_logger(__name__)

INVITATION_TTL = timedelta(days=7)
MAX_PENDING_INVITATIONS = 100


async def _require_admin(principal: Principal, workspace_id: int) -> Role:
    """The caller's current role (read now, not when the request began), if ADMIN or OWNER."""
    current = await Membership.get_or_none(workspace_id=workspace_id, user_id=principal.user_id)
    if current is None:
        raise NotFound("No workspace with this id.", field="workspaceId")
    if current.role not in ADMIN_ROLES:
        raise Forbidden("Only an OWNER or ADMIN of the workspace may manage its members.")
    return Role(current.role)


def _require_owner_for(actor: Role, *roles: Role) -> None:
    if Role.OWNER in roles and actor != Role.OWNER:
        raise Forbidden("Only an OWNER may grant the OWNER role or change an OWNER.")


async def members_of(workspace_ids: Sequence[int]) -> dict[int, list[Membership]]:
    """Memberships (with their users) of each workspace, oldest first."""
    rows = (
        await Membership.filter(workspace_id__in=list(workspace_ids))
        .select_related("user")
        .order_by("id")
    )
    grouped: dict[int, list[Membership]] = {ws: [] for ws in workspace_ids}
    for row in rows:
        grouped[row.workspace_id].append(row)
    return grouped


async def pending_invitations(principal: Principal, workspace_id: int) -> list[Invitation]:
    """Pending invitations of a workspace; only its OWNERs and ADMINs see them."""
    if not principal.can_admin(workspace_id):
        return []
    return (
        await Invitation.filter(
            workspace_id=workspace_id, accepted_at=None, expires_at__gt=clock.now()
        )
        .order_by("id")
        .limit(MAX_PENDING_INVITATIONS)
    )


async def revoke_invitation(principal: Principal, invitation_id: int) -> None:
    """Cancel a pending invitation (OWNER or ADMIN of its workspace); its link stops working."""
    invitation = await Invitation.get_or_none(
        id=invitation_id, workspace_id__in=principal.workspace_ids, accepted_at=None
    )
    if invitation is None:
        raise NotFound("No pending invitation with this id.", field="id")
    await _require_admin(principal, invitation.workspace_id)
    await Invitation.filter(id=invitation.id).delete()


async def invite(
    resources: Resources, principal: Principal, *, workspace_id: int, email: str, role: Role
) -> Invitation:
    """Mail an invitation link (7 days, single use); a new invite replaces a pending one."""
    workspace = await get_visible(principal, workspace_id)
    actor = await _require_admin(principal, workspace.id)
    _require_owner_for(actor, role)
    address = normalize_email(email)
    if await Membership.filter(workspace_id=workspace.id, user__email=address).exists():
        raise AlreadyExists("This address is already a member.", field="email")
    now = clock.now()
    pending = Invitation.filter(workspace_id=workspace.id, accepted_at=None, expires_at__gt=now)
    if await pending.count() >= MAX_PENDING_INVITATIONS:
        raise LimitReached("Too many pending invitations.", field="email")
    await Invitation.filter(workspace_id=workspace.id, email=address, accepted_at=None).delete()
    token = new_token(EMAIL_PREFIX)
    async with limits.room_for(resources.settings, workspace.id, Limit.MEMBERS):
        invitation = await Invitation.create(
            workspace=workspace,
            email=address,
            role=role,
            token_hash=hash_token(token),
            invited_by_id=principal.user_id,
            expires_at=now + INVITATION_TTL,
        )
    inviter = await User.get(id=principal.user_id)
    link = f"{resources.settings.effective_app_url}/invitations/accept?token={quote(token)}"
    await send_mail(
        resources,
        to=address,
        subject=f"You are invited to the Hitflow workspace {workspace.name}",
        body=(
            f"{inviter.display_name or inviter.email} invited you to join the Hitflow "
            f"workspace {workspace.name!r} as {role.value}.\n\n"
            "Accept with this link (valid 7 days), logged in with this e-mail address\n"
            "(sign up with it first if you have no account):\n\n"
            f"{link}\n"
        ),
    )
    log.info("member_invited", workspace_id=workspace.id, invitation_id=invitation.id)
    return invitation


async def accept(principal: Principal, token: str) -> tuple[Workspace, Role]:
    """Join the workspace of an invitation sent to the caller's (verified) address."""
    invalid = Invalid("This invitation is invalid or was already used.", field="token")
    if not token or not token.startswith(EMAIL_PREFIX) or len(token) > 200:
        raise invalid
    invitation = await Invitation.get_or_none(token_hash=hash_token(token))
    if invitation is None or invitation.accepted_at is not None:
        raise invalid
    now = clock.now()
    if invitation.expires_at <= now:
        raise Expired("This invitation has expired; ask for a new one.", field="token")
    user = await User.get(id=principal.user_id)
    if user.email != invitation.email:
        raise Invalid("This invitation was sent to another e-mail address.", field="token")
    if not user.email_verified:
        raise NotVerified("Confirm your e-mail address first.", field="token")
    ws_id = invitation.workspace_id
    if await Membership.filter(workspace_id=ws_id, user_id=user.id).exists():
        raise AlreadyExists("You are already a member of this workspace.", field="token")
    try:
        async with in_transaction():
            claimed = await Invitation.filter(id=invitation.id, accepted_at=None).update(
                accepted_at=now
            )
            if claimed != 1:
                raise invalid
            await Membership.create(workspace_id=ws_id, user_id=user.id, role=invitation.role)
    except IntegrityError:
        raise AlreadyExists("You are already a member of this workspace.", field="token") from None
    log.info("invitation_accepted", workspace_id=ws_id, user_id=user.id)
    return await Workspace.get(id=ws_id), Role(invitation.role)


async def _target(workspace_id: int, user_id: int) -> Membership:
    membership = await Membership.get_or_none(workspace_id=workspace_id, user_id=user_id)
    if membership is None:
        raise NotFound("No member with this id in this workspace.", field="userId")
    return membership


async def _keep_an_owner(workspace_id: int, leaving_user_id: int) -> None:
    """Invalid when `leaving_user_id` is the last OWNER (call inside the transaction)."""
    # Model rows, not values_list(): Tortoise drops select_for_update() on values queries.
    owners = await Membership.filter(workspace_id=workspace_id, role=Role.OWNER).select_for_update()
    if {o.user_id for o in owners} <= {leaving_user_id}:
        raise Invalid("A workspace needs an OWNER: make someone else OWNER first.", field="userId")


async def remove(
    resources: Resources, principal: Principal, *, workspace_id: int, user_id: int
) -> None:
    workspace = await get_visible(principal, workspace_id)
    leaving = user_id == principal.user_id
    if not leaving:
        actor = await _require_admin(principal, workspace.id)
    target = await _target(workspace.id, user_id)
    if not leaving:
        _require_owner_for(actor, Role(target.role))
    async with in_transaction():
        if target.role == Role.OWNER:
            await _keep_an_owner(workspace.id, user_id)
        await Membership.filter(id=target.id).delete()
    await publish(resources.redis, "membership_removed", workspaceId=workspace.id, userId=user_id)
    log.info("member_removed", workspace_id=workspace.id, user_id=user_id)


async def change_role(
    principal: Principal, *, workspace_id: int, user_id: int, role: Role
) -> Membership:
    workspace = await get_visible(principal, workspace_id)
    actor = await _require_admin(principal, workspace.id)
    target = await _target(workspace.id, user_id)
    _require_owner_for(actor, role, Role(target.role))
    async with in_transaction():
        if target.role == Role.OWNER and role != Role.OWNER:
            await _keep_an_owner(workspace.id, user_id)
        await Membership.filter(id=target.id).update(role=role)
    log.info("member_role_changed", workspace_id=workspace.id, user_id=user_id, role=role.value)
    return await Membership.get(id=target.id).select_related("user")
