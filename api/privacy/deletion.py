"""Account deletion: confirmation by e-mail, then immediate lock-out; the purge
(api.privacy.purge) deletes the data once the grace period is over."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from api.accounts import email_tokens
from api.accounts.models import User
from api.accounts.passwords import verify_password
from api.accounts.sessions import revoke_everything
from api.billing import dispatch as billing_dispatch
from api.core import clock, ratelimit
from api.core.errors import DomainError, RateLimited
from api.core.logging import get_logger
from api.core.orm import column
from api.mail.service import send_mail
from api.oauth import service as oauth_service
from api.privacy import audit, graph, ledger
from api.privacy.purge import sole_owned_workspaces
from api.resources import Resources
from api.targets.models import Target, TargetStatus
from api.targets.schedule import unschedule_target
from api.workspaces.models import Membership, Role

log = get_logger(__name__)

DELETE_ACCOUNT = "delete_account"
LINK_TTL = timedelta(hours=24)
ATTEMPTS_PER_HOUR = 5


async def request_account_deletion(resources: Resources, user_id: int, password: str) -> bool:
    """Re-authenticate, then mail a single-use confirmation link (24 h).

    False for a wrong password (the sketch's Boolean; no detail to leak). Attempts are
    rate-limited per account, since this is a password oracle.
    """
    wait = await ratelimit.hit(
        resources.redis, f"delete-account:{user_id}", limit=ATTEMPTS_PER_HOUR, window_seconds=3600
    )
    if wait is not None:
        raise RateLimited(wait)
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None or not await verify_password(resources.settings, user.password_hash, password):
        return False
    await email_tokens.void_unused(user.id, DELETE_ACCOUNT)
    token = await email_tokens.issue(user, DELETE_ACCOUNT, LINK_TTL)
    link = f"{resources.settings.effective_app_url}/account/delete?token={quote(token)}"
    await send_mail(
        resources,
        to=user.email,
        subject="Confirm the deletion of your Hitflow account",
        body=(
            "Someone (hopefully you) asked to delete your Hitflow account.\n\n"
            f"To confirm, open this link within 24 hours:\n{link}\n\n"
            "Once confirmed, the account is locked at once and its data is deleted within "
            f"{resources.settings.deletion_grace_days} days. If you did not ask for this, "
            "ignore this e-mail and change your password."
        ),
    )
    return True


async def confirm_account_deletion(resources: Resources, token: str) -> bool:
    """Lock the account at once: sessions, tokens and OAuth grants revoked (live
    subscriptions closed by the revocation event), checks of its sole workspaces
    paused, login refused. False when the link is unknown, used or expired."""
    scheduled = clock.now() + timedelta(days=resources.settings.deletion_grace_days)
    try:
        # One transaction: the link is used if and only if the account is locked and the
        # database ledger holds the deletion (a restore of an older backup re-applies it).
        async with in_transaction():
            row = await email_tokens.consume(token, DELETE_ACCOUNT)
            user = await User.get_or_none(id=row.user_id)
            if user is None:
                return False
            await ledger.record_in_database(user.id, scheduled_for=scheduled)
            paused = await lock_account(resources.redis, user.id, scheduled)
    except DomainError:
        return False
    try:
        ledger.append_ledger_file(resources.settings, user.id, scheduled_for=scheduled)
    except OSError as exc:
        # The database ledger has it; `hitflow backup`/restore read both and merge.
        log.error("deletion_ledger_file_failed", user_id=user.id, error=type(exc).__name__)
    # The provider must stop charging before the purge: a retried job per paid workspace.
    await billing_dispatch.cancel_for_deletion(resources, await sole_owned_workspaces(user.id))
    await audit.record(
        user.id,
        "account.deletion_confirmed",
        actor="account owner",
        actor_user_id=user.id,
        details={"scheduledFor": scheduled.isoformat(), "pausedTargets": paused},
        visible=False,
    )
    log.info("account_deletion_confirmed", user_id=user.id, purge_after=scheduled.isoformat())
    return True


async def lock_account(redis: ArqRedis | None, user_id: int, scheduled_for: datetime) -> int:
    """Deactivate the account with its purge date, revoke every credential and pause the
    checks of its sole workspaces; returns the number of targets paused.

    Without Redis (`hitflow restore`, service stopped) only the database changes: no live
    socket outlives a stopped API, and the scheduler drops paused targets from its
    due-set when it starts.
    """
    await User.filter(id=user_id).update(is_active=False, deletion_scheduled_for=scheduled_for)
    if redis is not None:
        await revoke_everything(redis, user_id)
    await revoke_oauth(redis, user_id)
    await revoke_workspace_clients(redis, await sole_owned_workspaces(user_id))
    return await pause_sole_workspaces(redis, user_id)


async def revoke_workspace_clients(redis: ArqRedis | None, workspace_ids: list[int]) -> int:
    """The OAuth clients of the workspaces that go with the account stop working: their
    tokens are revoked (live sockets told) and client_credentials is refused."""
    return await oauth_service.revoke_workspace_clients(redis, workspace_ids)


async def workspace_locked(workspace_id: int) -> bool:
    """True while every OWNER of the workspace is locked (deletion pending): its checks
    stay paused (resumeTarget refuses) until the purge removes it."""
    owners = Membership.filter(workspace_id=workspace_id, role=Role.OWNER)
    if not await owners.exists():
        return False
    return not await owners.filter(user__is_active=True).exists()


async def revoke_oauth(redis: ArqRedis | None, user_id: int) -> int:
    """Revoke the user's credentials: OAuth grants through the oauth service (it tells
    live sockets), then every row with a user FK and `revoked_at` (sessions and personal
    tokens too) and every unused single-use code or link (`used_at`)."""
    if redis is not None:
        await oauth_service.revoke_all_for_user(redis, user_id)
    revoked = 0
    for rel in graph.relations():
        if rel.parent is not User or rel.set_null:
            continue
        for stamp in ("revoked_at", "used_at"):
            if stamp in rel.child._meta.fields_map:
                revoked += await rel.child.filter(
                    **{rel.column: user_id, f"{stamp}__isnull": True}
                ).update(**{stamp: clock.now()})
    return revoked


async def pause_sole_workspaces(redis: ArqRedis | None, user_id: int) -> int:
    workspaces = await sole_owned_workspaces(user_id)
    if not workspaces:
        return 0
    ids: list[int] = await column(Target.filter(workspace_id__in=workspaces, paused=False), "id")
    if ids:
        await Target.filter(id__in=ids).update(
            paused=True, status=TargetStatus.PAUSED, status_changed_at=clock.now()
        )
        if redis is not None:
            for target_id in ids:
                await unschedule_target(redis, target_id)
    return len(ids)
