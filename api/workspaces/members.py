"""Membership rules: invitations, removal, roles.

- Only OWNER and ADMIN manage members; MEMBER and VIEWER get FORBIDDEN.
- Only an OWNER grants OWNER, or changes or removes another OWNER.
- A workspace always keeps at least one OWNER (checked under a row lock).
- Anyone may leave a workspace (remove themselves), except its last OWNER.
- A workspace the caller is not a member of reads as NOT_FOUND.
- A removal or role change applies at once on open websockets too (`membership_removed`
  and `rights_changed` events, api.live.relay); leaving a workspace or losing ADMIN ends
  the client_credentials tokens of the OAuth clients one registered there
  (api.oauth.service.registrant_may_act).
"""

from __future__ import annotations

import hashlib
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
from api.core import clock, ratelimit
from api.core.errors import (
    AlreadyExists,
    Expired,
    Forbidden,
    Invalid,
    LimitReached,
    NotFound,
    NotVerified,
    Throttled,
)
from api.core.logging import get_logger
from api.core.tokens import EMAIL_PREFIX, hash_token, new_token
from api.events import publish
from api.mail.service import send_mail
from api.mail.text import user_text
from api.oauth.service import revoke_registered_clients
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


def _invite_key(address: str) -> str:
    # Counters are keyed by a hash: Redis never holds the address itself.
    return hashlib.sha256(address.encode()).hexdigest()[:32]


async def invite(
    resources: Resources, principal: Principal, *, workspace_id: int, email: str, role: Role
) -> Invitation:
    """Mail an invitation link (7 days, single use); a new invite replaces a pending one.

    Not a mail cannon (docs/security.md, "Limits"):
    - one mail per workspace and address per day: inviting an address again while the
      invitation mailed to it less than a day ago is pending answers that invitation
      (with the new role) and sends nothing; after a revocation, a new one waits for the
      day to end (Throttled: RATE_LIMITED with retryAfter);
    - at most HITFLOW_INVITATIONS_PER_{WORKSPACE,INVITER,RECIPIENT}_PER_DAY mails
      (Throttled with the wait), counted before the mail is sent;
    - the mail's subject has no user text; the workspace and inviter names in its body
      are quoted and defanged (api.mail.text.user_text).
    """
    workspace = await get_visible(principal, workspace_id)
    actor = await _require_admin(principal, workspace.id)
    _require_owner_for(actor, role)
    address = normalize_email(email)
    if await Membership.filter(workspace_id=workspace.id, user__email=address).exists():
        raise AlreadyExists("This address is already a member.", field="email")
    now = clock.now()
    pending = Invitation.filter(workspace_id=workspace.id, accepted_at=None, expires_at__gt=now)
    settings = resources.settings
    day = 86400
    recipient = _invite_key(address)
    # Counted atomically before anything is sent: concurrent invitations cannot all pass.
    resend_wait = await ratelimit.hit(
        resources.redis, f"invite:pair:{workspace.id}:{recipient}", limit=1, window_seconds=day
    )
    if resend_wait is not None:
        current = await pending.filter(email=address).order_by("-id").first()
        if current is None:
            raise Throttled(
                resend_wait,
                "An invitation was mailed to this address less than a day ago; "
                f"invite it again in {resend_wait} s.",
                field="email",
            )
        if current.role != role:
            current.role = role
            await current.save(update_fields=["role"])
        log.info(
            "member_invitation_not_resent", workspace_id=workspace.id, invitation_id=current.id
        )
        return current
    if await pending.count() >= MAX_PENDING_INVITATIONS:
        raise LimitReached("Too many pending invitations.", field="email")
    wait = await ratelimit.hit_all(
        resources.redis,
        [
            (f"invite:to:{recipient}", settings.invitations_per_recipient_per_day, day),
            (f"invite:by:{principal.user_id}", settings.invitations_per_inviter_per_day, day),
            (f"invite:ws:{workspace.id}", settings.invitations_per_workspace_per_day, day),
        ],
    )
    if wait is not None:
        raise Throttled(
            wait, f"Too many invitations today; invite again in {wait} s.", field="email"
        )
    token = new_token(EMAIL_PREFIX)
    async with limits.room_for(resources.settings, workspace.id, Limit.MEMBERS):
        await Invitation.filter(workspace_id=workspace.id, email=address, accepted_at=None).delete()
        invitation = await Invitation.create(
            workspace=workspace,
            email=address,
            role=role,
            token_hash=hash_token(token),
            invited_by_id=principal.user_id,
            expires_at=now + INVITATION_TTL,
        )
    inviter = await User.get(id=principal.user_id)
    await send_mail(
        resources,
        to=address,
        subject="You are invited to a workspace on Hitflow",
        body=_invitation_body(resources, inviter, workspace, role, token),
    )
    log.info("member_invited", workspace_id=workspace.id, invitation_id=invitation.id)
    return invitation


def _invitation_body(
    resources: Resources, inviter: User, workspace: Workspace, role: Role, token: str
) -> str:
    link = f"{resources.settings.effective_app_url}/invitations/accept?token={quote(token)}"
    inviter_name = user_text(inviter.display_name or inviter.email)
    return (
        f"The Hitflow user {inviter_name} invited you to join a workspace as {role.value}.\n\n"
        f"Workspace name (chosen by its members, not by Hitflow): {user_text(workspace.name)}\n\n"
        "Accept with this link (valid 7 days), logged in with this e-mail address\n"
        "(sign up with it first if you have no account):\n\n"
        f"{link}\n\n"
        "If you do not know this person, ignore this e-mail: nothing happens unless you\n"
        "accept. Hitflow never asks for passwords or payment details by e-mail.\n"
    )


async def accept(resources: Resources, principal: Principal, token: str) -> tuple[Workspace, Role]:
    """Join the workspace of an invitation sent to the caller's (verified) address.

    The plan's member limit is checked again here, under the workspace's lock: an
    invitation sent under a larger plan, or one of several accepted at once at the limit,
    is refused with PLAN_LIMIT (the invitation stays usable once there is room)."""
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
        async with limits.room_for_member(resources.settings, ws_id):
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
    await revoke_registered_clients(resources.redis, user_id, workspace.id)
    log.info("member_removed", workspace_id=workspace.id, user_id=user_id)


async def change_role(
    resources: Resources, principal: Principal, *, workspace_id: int, user_id: int, role: Role
) -> Membership:
    workspace = await get_visible(principal, workspace_id)
    actor = await _require_admin(principal, workspace.id)
    target = await _target(workspace.id, user_id)
    _require_owner_for(actor, role, Role(target.role))
    async with in_transaction():
        if target.role == Role.OWNER and role != Role.OWNER:
            await _keep_an_owner(workspace.id, user_id)
        await Membership.filter(id=target.id).update(role=role)
    # Open websockets of the member use the new role from their next event or operation.
    await publish(resources.redis, "rights_changed", userId=user_id)
    if target.role in ADMIN_ROLES and role not in ADMIN_ROLES:
        await revoke_registered_clients(resources.redis, user_id, workspace.id)
    log.info("member_role_changed", workspace_id=workspace.id, user_id=user_id, role=role.value)
    return await Membership.get(id=target.id).select_related("user")
