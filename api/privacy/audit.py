"""Audit events and legal holds.

A legal hold is set on a user (User.legal_hold). A workspace is held when any of its
OWNERs is held. While held, the purge skips the account and retention skips the
workspace's monitoring rows.
"""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from api.accounts.models import User
from api.core import clock
from api.core.errors import Invalid, NotFound
from api.core.orm import column
from api.privacy.models import AuditEvent
from api.workspaces.models import Membership, Role

REASON_MIN, REASON_MAX = 5, 500


def clean_reason(reason: str | None) -> str:
    """Staff must say why: a reason of 5 to 500 characters."""
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        raise Invalid(f"A reason of at least {REASON_MIN} characters is required.", field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(f"The reason must be at most {REASON_MAX} characters.", field="reason")
    return text


def staff_label(staff: User) -> str:
    # What the customer sees: the staff member's id, not their address.
    return f"Hitflow staff #{staff.id}"


async def record(
    subject_id: int,
    action: str,
    *,
    actor: str,
    actor_user_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    visible: bool = True,
) -> AuditEvent:
    return await AuditEvent.create(
        subject_id=subject_id,
        actor_user_id=actor_user_id,
        actor=actor[:100],
        action=action,
        reason=reason,
        details=details or {},
        visible=visible,
        at=clock.now(),
    )


def access_log_of(user_id: int) -> QuerySet[AuditEvent]:
    """What the customer may see of the audit trail: staff reads of their data."""
    return AuditEvent.filter(subject_id=user_id, visible=True)


async def held_workspace_ids() -> list[int]:
    return await column(Membership.filter(role=Role.OWNER, user__legal_hold=True), "workspace_id")


async def _find_user(email: str) -> User:
    user = await User.get_or_none(email=(email or "").strip().lower())
    if user is None:
        raise NotFound("No user with this e-mail.", field="email")
    return user


async def set_legal_hold(staff: User, email: str, reason: str, *, held: bool) -> User:
    """Place or lift a hold (staff only, reason required, audited).

    Hold events are not shown in the customer's access log: an authority may require
    that the hold stays confidential. They are kept for staff review.
    """
    text = clean_reason(reason)
    user = await _find_user(email)
    await User.filter(id=user.id).update(legal_hold=held)
    user.legal_hold = held
    await record(
        user.id,
        "legal_hold.placed" if held else "legal_hold.lifted",
        actor=staff_label(staff),
        actor_user_id=staff.id,
        reason=text,
        visible=False,
    )
    return user
