"""Status pages: creating and changing them (admins) and posting updates (members). The
public view is in api.statuspages.public."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.accounts.passwords import hash_password
from api.auth.principal import Principal
from api.billing import limits
from api.billing.plans import Limit
from api.core import clock
from api.core.errors import AlreadyExists, Forbidden, Invalid, NotFound
from api.incidents.models import Incident
from api.settings import Settings
from api.statuspages.domains import new_token, normalize_domain
from api.statuspages.models import (
    StatusPage,
    StatusPageComponent,
    StatusUpdate,
    UpdateState,
    Visibility,
)

# The public view lives in api.statuspages.public; these names stay reachable from here.
from api.statuspages.public import (
    SLUG,
    open_page,
    page_components,
    public_view,
)
from api.statuspages.view import ComponentStatus, PublicPage, derive, worst
from api.targets.models import Target

__all__ = [
    "ComponentStatus",
    "PublicPage",
    "derive",
    "open_page",
    "page_components",
    "public_view",
    "worst",
]

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are fine
MAX_COMPONENTS = 50
MAX_TARGETS_PER_COMPONENT = 50


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    description: str
    target_ids: list[int]
    group: str | None = None


def visible_to(principal: Principal) -> QuerySet[StatusPage]:
    return StatusPage.filter(workspace_id__in=principal.workspace_ids)


def _require_admin(principal: Principal, workspace_id: int, *, field: str) -> None:
    principal.check_two_factor(workspace_id, field=field)
    if not principal.can_read(workspace_id):
        raise NotFound(field=field)
    if not principal.can_admin(workspace_id):
        raise Forbidden("Only a workspace admin or owner can change status pages.")


def _text(value: str, field: str, *, low: int, high: int) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise Invalid(f"{field} has control characters.", field=field)
    if not low <= len(value) <= high:
        raise Invalid(f"{field} must have {low} to {high} characters.", field=field)
    return value


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise Invalid(
            "The slug has 1 to 64 lower-case letters, digits and inner hyphens.", field="slug"
        )
    return value


def _logo(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or len(value) > 500:
        raise Invalid(
            "The logo URL must be an https:// URL (500 characters at most).", field="logoUrl"
        )
    if CONTROL.search(value) or any(c in value for c in "\"'<> \t\r\n"):
        raise Invalid("The logo URL has characters that need escaping.", field="logoUrl")
    return value


def _regions(settings: Settings, regions: list[str]) -> list[str]:
    unknown = [r for r in regions if r not in settings.regions]
    if unknown:
        raise Invalid(f"Unknown region {unknown[0]!r}.", field="regions")
    return sorted(set(regions))


async def _components(workspace_id: int, specs: list[ComponentSpec]) -> list[ComponentSpec]:
    if len(specs) > MAX_COMPONENTS:
        raise Invalid(f"At most {MAX_COMPONENTS} components.", field="components")
    wanted: set[int] = set()
    cleaned = []
    for spec in specs:
        ids = list(dict.fromkeys(spec.target_ids))
        if not 1 <= len(ids) <= MAX_TARGETS_PER_COMPONENT:
            raise Invalid(
                f"A component has 1 to {MAX_TARGETS_PER_COMPONENT} targets.", field="targetIds"
            )
        wanted.update(ids)
        cleaned.append(
            ComponentSpec(
                name=_text(spec.name, "name", low=1, high=100),
                description=_text(spec.description, "description", low=0, high=2000),
                target_ids=ids,
                group=_text(spec.group, "group", low=1, high=100) if spec.group else None,
            )
        )
    found = set(
        await Target.filter(id__in=list(wanted), workspace_id=workspace_id).values_list(
            "id", flat=True
        )
    )
    if wanted - found:
        raise NotFound("No Target with this id in this workspace.", field="targetIds")
    return cleaned


async def _password(
    settings: Settings, visibility: Visibility, password: str | None, current: str | None
) -> str | None:
    if visibility is Visibility.PUBLIC:
        return None
    if password is None:
        if current is None:
            raise Invalid("A PASSWORD page needs a password.", field="password")
        return current
    if not 8 <= len(password) <= 200:
        raise Invalid("The password has 8 to 200 characters.", field="password")
    return await hash_password(settings, password)


async def _write_components(page_id: int, specs: list[ComponentSpec]) -> None:
    await StatusPageComponent.filter(page_id=page_id).delete()
    await StatusPageComponent.bulk_create(
        [
            StatusPageComponent(
                page_id=page_id,
                position=i,
                name=s.name,
                description=s.description,
                group=s.group,
                target_ids=s.target_ids,
            )
            for i, s in enumerate(specs)
        ]
    )


async def create_page(
    principal: Principal,
    settings: Settings,
    *,
    workspace_id: int,
    slug: str,
    title: str,
    description: str = "",
    logo_url: str | None = None,
    components: list[ComponentSpec],
    visibility: Visibility = Visibility.PUBLIC,
    password: str | None = None,
    regions: list[str] | None = None,
    custom_domain: str | None = None,
    auto_show_incidents: bool = True,
) -> StatusPage:
    _require_admin(principal, workspace_id, field="workspaceId")
    values: dict[str, Any] = {
        "slug": _slug(slug),
        "title": _text(title, "title", low=1, high=200),
        "description": _text(description, "description", low=0, high=5000),
        "logo_url": _logo(logo_url),
        "visibility": visibility,
        "regions": _regions(settings, regions or []),
        "auto_show_incidents": auto_show_incidents,
        **_domain_values(custom_domain),
    }
    specs = await _components(workspace_id, components)
    values["password_hash"] = await _password(settings, visibility, password, None)
    if await StatusPage.filter(slug=slug).exists():
        raise AlreadyExists("This slug is taken.", field="slug")
    await _domain_free(values["custom_domain"], None)
    try:
        # The plan's count and the insert under the workspace's lock (api.billing.limits).
        async with limits.room_for(settings, workspace_id, Limit.STATUS_PAGES):
            page = await StatusPage.create(workspace_id=workspace_id, **values)
            await _write_components(page.id, specs)
    except IntegrityError as exc:  # a concurrent create took the slug (unique index)
        if await StatusPage.filter(slug=slug).exists():
            raise AlreadyExists("This slug is taken.", field="slug") from exc
        raise
    return page


def _domain_values(custom_domain: str | None) -> dict[str, Any]:
    """The columns of a newly set domain (or of none): a fresh token, not verified."""
    if not custom_domain:
        return {
            "custom_domain": None,
            "domain_token": None,
            "verified_domain": None,
            "domain_verified_at": None,
        }
    return {
        "custom_domain": normalize_domain(custom_domain),
        "domain_token": new_token(),
        "verified_domain": None,
        "domain_verified_at": None,
    }


async def _domain_free(domain: str | None, page_id: int | None) -> None:
    """A domain another page verified is taken (unverified claims block nobody)."""
    if domain is None:
        return
    if await StatusPage.filter(verified_domain=domain).exclude(id=page_id or 0).exists():
        raise AlreadyExists("Another status page uses this domain.", field="customDomain")


async def _writable_page(principal: Principal, page_id: int, *, field: str = "id") -> StatusPage:
    page = await visible_to(principal).get_or_none(id=page_id)
    if page is None:
        raise NotFound("No StatusPage with this id.", field=field)
    return page


async def update_page(
    principal: Principal,
    settings: Settings,
    page_id: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    description: str | None = None,
    logo_url: str | None = None,
    clear_logo: bool = False,
    components: list[ComponentSpec] | None = None,
    visibility: Visibility | None = None,
    password: str | None = None,
    regions: list[str] | None = None,
    custom_domain: str | None = None,
    auto_show_incidents: bool | None = None,
) -> StatusPage:
    """Change the given fields; `components`, when given, replace the page's list;
    `custom_domain` "" removes the domain, a new one must be verified again."""
    page = await _writable_page(principal, page_id)
    _require_admin(principal, page.workspace_id, field="id")
    if slug is not None and slug != page.slug:
        if await StatusPage.filter(slug=_slug(slug)).exists():
            raise AlreadyExists("This slug is taken.", field="slug")
        page.slug = slug
    if title is not None:
        page.title = _text(title, "title", low=1, high=200)
    if description is not None:
        page.description = _text(description, "description", low=0, high=5000)
    if clear_logo:
        page.logo_url = None
    elif logo_url is not None:
        page.logo_url = _logo(logo_url)
    if regions is not None:
        page.regions = _regions(settings, regions)
    if auto_show_incidents is not None:
        page.auto_show_incidents = auto_show_incidents
    if custom_domain is not None:
        wanted = _domain_values(custom_domain)
        if wanted["custom_domain"] != page.custom_domain:
            await _domain_free(wanted["custom_domain"], page.id)
            for key, value in wanted.items():
                setattr(page, key, value)
    specs = await _components(page.workspace_id, components) if components is not None else None
    new_visibility = visibility or page.visibility
    page.password_hash = await _password(settings, new_visibility, password, page.password_hash)
    page.visibility = new_visibility
    try:
        async with in_transaction():
            await page.save()
            if specs is not None:
                await _write_components(page.id, specs)
    except IntegrityError as exc:  # a concurrent update took the slug
        if slug is not None and await StatusPage.filter(slug=slug).exclude(id=page.id).exists():
            raise AlreadyExists("This slug is taken.", field="slug") from exc
        raise
    return page


async def delete_page(principal: Principal, page_id: int) -> int:
    page = await _writable_page(principal, page_id)
    _require_admin(principal, page.workspace_id, field="id")
    await page.delete()
    return page_id


async def post_update(
    principal: Principal,
    *,
    page_id: int,
    incident_id: int | None,
    title: str,
    message: str,
    state: UpdateState,
) -> StatusUpdate:
    """A member (not a viewer) posts an update, optionally about one of the workspace's
    incidents."""
    page = await _writable_page(principal, page_id, field="statusPageId")
    if not principal.can_write(page.workspace_id):
        raise Forbidden("Your role in this workspace cannot post status updates.")
    if (
        incident_id is not None
        and not await Incident.filter(id=incident_id, workspace_id=page.workspace_id).exists()
    ):
        raise NotFound("No Incident with this id in this workspace.", field="incidentId")
    return await StatusUpdate.create(
        page_id=page.id,
        incident_id=incident_id,
        title=_text(title, "title", low=1, high=200),
        message=_text(message, "message", low=1, high=10_000),
        state=state,
        posted_at=clock.now(),
    )
