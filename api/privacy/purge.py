"""The purge: delete every row of an account and of the workspaces it alone owns.

It walks the model graph (api.privacy.graph) instead of naming tables, so a model added
later with a foreign key to a user, a workspace or anything they own is purged too.
Children are deleted before their parents in bounded batches, so a large account never
becomes one huge cascading statement.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Iterator

from pypika_tortoise import Table
from tortoise.expressions import Q
from tortoise.models import Model

from api.accounts.models import User
from api.billing.models import Order
from api.core import clock
from api.core.logging import get_logger
from api.core.orm import column
from api.privacy import graph, ledger
from api.settings import Settings
from api.workspaces.models import Membership, Role, Workspace

log = get_logger(__name__)

ID_CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit


def _chunks(ids: list, size: int = ID_CHUNK) -> Iterator[list]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


async def _delete(
    model: type[Model], ids: list, counts: Counter[str], batch: int, depth: int = 0
) -> None:
    if not ids:
        return
    if depth > 20:  # a cycle in the model graph: let the database cascade the rest
        log.warning("purge_depth_limit", model=model.__name__)
    else:
        for rel in graph.children_of(model):
            if rel.child is model:
                continue
            retained = rel.child.__name__ in graph.RETAINED_MODELS
            if rel.set_null and (retained or graph.owned_path(rel.child)):
                # Owned by something else (or kept on purpose): only cut the link.
                for chunk in _chunks(ids):
                    await rel.child.filter(**{f"{rel.column}__in": chunk}).update(
                        **{rel.column: None}
                    )
                continue
            pk = rel.child._meta.pk_attr
            for chunk in _chunks(ids):
                while True:
                    child_ids = await column(
                        rel.child.filter(**{f"{rel.column}__in": chunk}).limit(batch), pk
                    )
                    if not child_ids:
                        break
                    await _delete(rel.child, child_ids, counts, batch, depth + 1)
    pk = model._meta.pk_attr
    for table, key in graph.m2m_columns_of(model):
        # Membership rows (no model of their own): not left to the database's cascade.
        for chunk in _chunks(ids):
            counts[table] += await _delete_links(model, table, key, chunk)
    for chunk in _chunks(ids):
        deleted = await model.filter(**{f"{pk}__in": chunk}).delete()
        counts[model.__name__] += int(deleted or 0)


async def _delete_links(model: type[Model], table: str, key: str, ids: list) -> int:
    db = model._meta.db
    through = Table(table)
    query = db.query_class.from_(through).where(through[key].isin(ids)).delete()
    deleted, _ = await db.execute_query(str(query))
    return int(deleted or 0)


async def delete_rows(roots: Iterable[tuple[type[Model], list]], *, batch: int) -> dict[str, int]:
    """Delete the given rows and everything that depends on them; counts per model."""
    counts: Counter[str] = Counter()
    for model, ids in roots:
        await _delete(model, list(ids), counts, batch)
    return dict(counts)


async def sole_owned_workspaces(user_id: int) -> list[int]:
    """Workspaces where the user is the only OWNER (they go with the account)."""
    owned: list[int] = await column(
        Membership.filter(user_id=user_id, role=Role.OWNER), "workspace_id"
    )
    if not owned:
        return []
    co_owned = set(
        await column(
            Membership.filter(workspace_id__in=owned, role=Role.OWNER).exclude(user_id=user_id),
            "workspace_id",
        )
    )
    return sorted(set(owned) - co_owned)


def pseudonym(settings: Settings, value: str) -> str:
    """A keyed hash: the same e-mail always gives the same pseudonym (to answer a claim
    about an invoice), and it cannot be reversed without the key."""
    # A dedicated stable key (HITFLOW_PSEUDONYM_KEY, default the oldest secret key):
    # rotating the encryption key ring must not change the pseudonyms.
    key = hashlib.sha256(b"hitflow-pseudonym:" + settings.pseudonym_key_bytes).digest()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


async def pseudonymise_orders(settings: Settings, user: User) -> int:
    return int(
        await Order.filter(Q(user_id=user.id) | Q(billing_email=user.email)).update(
            user_id=None,
            billing_email=None,
            pseudonym=pseudonym(settings, user.email),
            pseudonymised_at=clock.now(),
        )
    )


# --- purging one account -------------------------------------------------------------


async def purge_account(
    settings: Settings, user_id: int, *, ignore_hold: bool = False
) -> dict[str, int] | None:
    """Delete the account and its sole workspaces; None when it is held or absent.

    Idempotent: a second run finds nothing; the ledger keeps the first purge date.
    """
    user = await User.get_or_none(id=user_id)
    now = clock.now()
    if user is None:
        return None
    if user.legal_hold and not ignore_hold:
        log.info("purge_skipped_legal_hold", user_id=user_id)
        return None
    orders = await pseudonymise_orders(settings, user)
    workspaces = await sole_owned_workspaces(user_id)
    counts = await delete_rows(
        [(Workspace, workspaces), (User, [user_id])], batch=settings.retention_batch_size
    )
    await ledger.record(settings, user_id, scheduled_for=user.deletion_scheduled_for, purged_at=now)
    counts["OrderPseudonymised"] = orders
    log.info("account_purged", user_id=user_id, counts=counts)
    return counts


async def purge_due_accounts(settings: Settings) -> dict[str, int]:
    """Purge every account whose grace period is over (legal holds are skipped)."""
    due: list[int] = await column(
        User.filter(is_active=False, deletion_scheduled_for__lte=clock.now(), legal_hold=False),
        "id",
    )
    total: Counter[str] = Counter()
    purged = 0
    for user_id in due:
        counts = await purge_account(settings, user_id)
        if counts is not None:
            purged += 1
            total.update(counts)
    result = {"accounts": purged, **total}
    log.info("purge_done", **{k: v for k, v in result.items() if isinstance(v, int)})
    return result
