"""Who hears about a status page: e-mail subscribers (double opt-in) and webhook
subscribers (added by the page's admins), and the notices sent to them.

A subscriber's address is personal data of the page's visitor, held for the workspace:
it is deleted with the page (and so with the workspace), exported with the workspace,
deleted at once on unsubscribe, and an unconfirmed address is deleted after
PENDING_TTL (api.statuspages.subscribers.expire_pending).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.statuspages.models import StatusPage


class StatusPageSubscriber(Model):
    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="subscribers", on_delete=fields.CASCADE
    )
    page_id: int
    email = fields.CharField(max_length=254)  # lower-cased
    confirmed_at = fields.DatetimeField(null=True)
    # Single use: cleared on confirmation; SHA-256 of the mailed token.
    confirm_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    confirm_expires_at = fields.DatetimeField(null=True)
    # The one-click unsubscribe link of every mail: looked up by hash, put in mails from
    # the sealed copy (the key ring encrypts it at rest).
    unsubscribe_token_hash = fields.CharField(max_length=64, unique=True)
    unsubscribe_token_encrypted = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "status_page_subscribers"
        unique_together = (("page_id", "email"),)


class StatusPageWebhook(Model):
    """A URL that gets a signed POST for each notice of the page (like a webhook channel)."""

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="webhooks", on_delete=fields.CASCADE
    )
    page_id: int
    host = fields.CharField(max_length=255)  # shown to admins; the URL may hold a secret
    secrets_encrypted = fields.TextField()  # {"url": ..., "secret": ...}
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "status_page_webhooks"


class StatusPageNotice(Model):
    """One thing subscribers are told about (an incident, an update, a maintenance).

    `key` is unique per page ("incident:12", "update:40", "maintenance:7"): a notice is
    created once, however often the job that creates it runs.
    """

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="notices", on_delete=fields.CASCADE
    )
    page_id: int
    key = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # incident | update | maintenance
    title = fields.CharField(max_length=300)
    text = fields.TextField()
    status = fields.CharField(max_length=32)  # the page's overall status at the time
    created_at = fields.DatetimeField()
    # Set once every mail and POST is queued: a re-run of the job queues nothing again
    # (a run cut short re-queues, and the per-recipient job ids drop the duplicates).
    fanned_out_at = fields.DatetimeField(null=True)

    class Meta:
        table = "status_page_notices"
        unique_together = (("page_id", "key"),)
