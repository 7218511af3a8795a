"""Data export: a JSON archive of everything an account owns, built by a job,
encrypted at rest, downloadable once through an expiring link, then deleted.

The content is gathered by walking the model graph: rows linked to the user, and
every row of the workspaces the user OWNS (for other workspaces, only the membership);
many-to-many members ride on the rows that declare them (a TargetGroup's "targets").
Columns that hold secrets (hashes, ciphertexts, passwords, tokens) are left out.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from tortoise.models import Model

from api.accounts.models import User
from api.core import clock
from api.core.crypto import DecryptionError
from api.core.logging import get_logger
from api.core.orm import column
from api.core.tokens import hash_token
from api.mail.service import send_mail
from api.privacy import graph
from api.privacy.models import DataExport
from api.resources import CORE_QUEUE, Resources
from api.workspaces.models import Membership, Role

log = get_logger(__name__)

EXPORT_PREFIX = "hf_exp_"
PENDING, READY, DOWNLOADED, FAILED = "PENDING", "READY", "DOWNLOADED", "FAILED"
_SECRET_COLUMN = re.compile(r"(hash|encrypted|secret|password|token)", re.IGNORECASE)
PAGE = 1000
# Grants to a workspace's OAuth clients belong to whoever granted them: from the owned
# workspaces, only the requester's own (and the client's own client_credentials tokens).
GRANT_MODELS = frozenset({"OAuthToken", "OAuthAuthorizationCode", "OAuthAuthorizationRequest"})


def export_dir(resources: Resources) -> Path:
    path = resources.settings.data_dir / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


async def request_export(resources: Resources, user_id: int) -> DataExport:
    """Start an export, or return the one already pending or ready (no duplicates)."""
    now = clock.now()
    current = (
        await DataExport.filter(user_id=user_id, status__in=[PENDING, READY])
        .order_by("-id")
        .first()
    )
    if current and (current.status == PENDING or (current.expires_at or now) > now):
        return current
    export = await DataExport.create(user_id=user_id, status=PENDING, requested_at=now)
    await resources.redis.enqueue_job(
        "build_data_export",
        export_id=export.id,
        _job_id=f"export:{export.id}",
        _queue_name=CORE_QUEUE,
    )
    return export


def download_url(resources: Resources, export: DataExport) -> str | None:
    if export.status != READY or not export.token_encrypted:
        return None
    if export.expires_at is None or export.expires_at <= clock.now():
        return None
    token = resources.keyring.decrypt(export.token_encrypted)
    return f"{resources.settings.public_url}/exports/{token}"


def _clean(model: type[Model], row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not _SECRET_COLUMN.search(k)}


async def _rows(model: type[Model], **filters: Any) -> list[dict[str, Any]]:
    pk = model._meta.pk_attr
    out: list[dict[str, Any]] = []
    last: Any = None
    while True:
        query = model.filter(**filters)
        if last is not None:
            query = query.filter(**{f"{pk}__gt": last})
        page = await query.order_by(pk).limit(PAGE).values()
        out.extend(_clean(model, r) for r in page)
        if len(page) < PAGE:
            return out
        last = page[-1][pk]


def _own_grant(model: type[Model], row: dict[str, Any], user_id: int) -> bool:
    """A grant row with a user other than the requester (or no user column at all: a
    pending request of an unknown visitor) is someone else's."""
    columns = [r.column for r in graph.relations() if r.child is model and r.parent is User]
    return bool(columns) and all(row.get(c) in (None, user_id) for c in columns)


async def _add_members(data: dict[str, list[dict[str, Any]]]) -> None:
    """Many-to-many fields have no model of their own: each exported row of the model
    that declares one lists the related rows' ids under the field's name (a TargetGroup
    its "targets"), only those exported too (never a row of someone else)."""
    for link in graph.m2m_links():
        rows = data.get(link.model.__name__)
        if not rows:
            continue
        pk, other_pk = link.model._meta.pk_attr, link.other._meta.pk_attr
        exported = {r[other_pk] for r in data.get(link.other.__name__, [])}
        members: dict[Any, list[Any]] = {r[pk]: [] for r in rows}
        ids = list(members)
        for i in range(0, len(ids), PAGE):
            pairs = await link.model.filter(**{f"{pk}__in": ids[i : i + PAGE]}).values_list(
                pk, f"{link.field}__{other_pk}"
            )
            for own, other in pairs:
                if other is not None and other in exported:
                    members[own].append(other)
        for row in rows:
            row[link.field] = sorted(members[row[pk]])


async def collect(user_id: int) -> dict[str, Any]:
    """Everything the account owns, by model name."""
    user = await User.get(id=user_id)
    owned: list[int] = await column(
        Membership.filter(user_id=user_id, role=Role.OWNER), "workspace_id"
    )
    data: dict[str, list[dict[str, Any]]] = {}
    for name, model in sorted(graph.models().items()):
        if name in ("User", "DeletionLedger", "UsageStatistic", "EmailToken"):
            continue
        rows: dict[Any, dict[str, Any]] = {}
        pk = model._meta.pk_attr
        for rel in graph.relations():
            if rel.child is not model or rel.parent is not User:
                continue
            if rel.set_null and name != "Order":
                continue  # e.g. audit events this user wrote about others
            filters: dict[str, Any] = {rel.column: user_id}
            if name == "AuditEvent":
                filters["visible"] = True
            for row in await _rows(model, **filters):
                rows[row[pk]] = row
        path = graph.lookup_to(model, "Workspace")
        if owned and path is not None and name != "AuditEvent":
            for row in await _rows(model, **{f"{path}__in": owned}):
                if name in GRANT_MODELS and not _own_grant(model, row, user_id):
                    continue
                rows[row[pk]] = row
        if rows:
            data[name] = [rows[k] for k in sorted(rows, key=str)]
    await _add_members(data)
    profile = {
        "id": user.id,
        "email": user.email,
        "displayName": user.display_name,
        "emailVerified": user.email_verified,
        "createdAt": user.created_at,
        "deletionScheduledFor": user.deletion_scheduled_for,
    }
    return {
        "format": "hitflow-export/1",
        "generatedAt": clock.now(),
        "profile": profile,
        "data": data,
    }


async def build_export(resources: Resources, export_id: int) -> str:
    """Build, encrypt and store the archive; mail the link. Idempotent."""
    export = await DataExport.get_or_none(id=export_id)
    if export is None or export.status != PENDING:
        return "skipped"
    archive = await collect(export.user_id)
    plain = json.dumps(archive, default=str, separators=(",", ":")).encode()
    name = f"{export.id}-{secrets.token_hex(8)}.bin"
    blob = resources.keyring.encrypt_bytes(plain, aad=f"export:{export.id}".encode())
    path = export_dir(resources) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
    token = EXPORT_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    await DataExport.filter(id=export.id, status=PENDING).update(
        status=READY,
        ready_at=now,
        expires_at=now + timedelta(hours=resources.settings.export_ttl_hours),
        token_hash=hash_token(token),
        token_encrypted=resources.keyring.encrypt(token),
        file_name=name,
        size_bytes=len(plain),
    )
    user = await User.get(id=export.user_id)
    await send_mail(
        resources,
        to=user.email,
        subject="Your Hitflow data export is ready",
        body=(
            "The archive of your Hitflow account is ready. It can be downloaded once, "
            f"within {resources.settings.export_ttl_hours} hours:\n"
            f"{resources.settings.public_url}/exports/{token}\n"
        ),
    )
    log.info("data_export_ready", export_id=export.id, size=len(plain))
    return "ready"


async def take_download(resources: Resources, token: str) -> bytes | None:
    """The archive for a valid link, exactly once; None otherwise."""
    if not token.startswith(EXPORT_PREFIX) or len(token) > 200:
        return None
    now = clock.now()
    export = await DataExport.get_or_none(token_hash=hash_token(token), status=READY)
    if export is None or export.expires_at is None or export.expires_at <= now:
        return None
    claimed = await DataExport.filter(id=export.id, status=READY).update(
        status=DOWNLOADED, downloaded_at=now, token_encrypted=None
    )
    if claimed != 1:
        return None
    path = export_dir(resources) / str(export.file_name)
    try:
        plain = resources.keyring.decrypt_bytes(
            path.read_bytes(), aad=f"export:{export.id}".encode()
        )
    except (OSError, DecryptionError):
        log.error("data_export_unreadable", export_id=export.id)
        return None
    path.unlink(missing_ok=True)
    return plain


async def expire_exports(resources: Resources) -> int:
    """Delete the files and rows of exports downloaded, expired or stuck (cron)."""
    now = clock.now()
    rows = await DataExport.filter(status__in=[READY, DOWNLOADED, FAILED, PENDING]).all()
    removed = 0
    for export in rows:
        stale_pending = export.status == PENDING and export.requested_at < now - timedelta(days=1)
        expired = export.expires_at is not None and export.expires_at <= now
        if export.status in (DOWNLOADED, FAILED) or expired or stale_pending:
            if export.file_name:
                (export_dir(resources) / export.file_name).unlink(missing_ok=True)
            await export.delete()
            removed += 1
    return removed
