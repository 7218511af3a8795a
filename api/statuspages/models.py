"""Status pages, their components (groups of targets) and the status updates posted on them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.incidents.models import Incident
    from api.workspaces.models import Workspace


class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    PASSWORD = "PASSWORD"


class UpdateState(StrEnum):
    INVESTIGATING = "INVESTIGATING"
    IDENTIFIED = "IDENTIFIED"
    MONITORING = "MONITORING"
    RESOLVED = "RESOLVED"


class StatusPage(Model):
    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="status_pages", on_delete=fields.CASCADE
    )
    workspace_id: int
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    logo_url = fields.CharField(max_length=500, null=True)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.PUBLIC)
    password_hash = fields.CharField(max_length=255, null=True)  # argon2id, PASSWORD pages
    regions: fields.JSONField[list[str]] = fields.JSONField(default=list)  # [] = every region
    # Monitoring incidents of the components' targets shown with a default text.
    auto_show_incidents = fields.BooleanField(default=True)
    # A custom domain: the one an admin set (lower case, no trailing dot), the token its
    # `_hitflow-verify.<domain>` TXT record must hold, and the domain once that record was
    # seen. Only `verified_domain` serves the page; it is unique, so the first page to
    # prove control of a domain gets it and an unverified claim blocks nobody.
    custom_domain = fields.CharField(max_length=253, null=True)
    domain_token = fields.CharField(max_length=64, null=True)
    verified_domain = fields.CharField(max_length=253, null=True, unique=True)
    domain_verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    components: fields.ReverseRelation[StatusPageComponent]

    class Meta:
        table = "status_pages"


class StatusPageComponent(Model):
    """One line of a page: a name and the targets whose status it summarises.

    target_ids are re-checked against the page's workspace on every read, so a target
    deleted (or an id that never belonged there) simply drops out.
    """

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="components", on_delete=fields.CASCADE
    )
    page_id: int
    position = fields.IntField(default=0)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    group = fields.CharField(max_length=100, null=True)  # components grouped on the page
    target_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)

    class Meta:
        table = "status_page_components"


class StatusUpdate(Model):
    """A message posted by a member (about an incident, or the page as a whole)."""

    id = fields.IntField(primary_key=True)
    page: fields.ForeignKeyRelation[StatusPage] = fields.ForeignKeyField(
        "models.StatusPage", related_name="updates", on_delete=fields.CASCADE
    )
    page_id: int
    incident: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "models.Incident", related_name="status_updates", on_delete=fields.SET_NULL, null=True
    )
    incident_id: int | None
    title = fields.CharField(max_length=200)
    message = fields.TextField()
    state = fields.CharEnumField(UpdateState, max_length=16)
    posted_at = fields.DatetimeField()

    class Meta:
        table = "status_updates"
        indexes = (("page_id", "posted_at"),)
