"""The public status page and its feed, served from Redis for a few seconds.

A popular page (or a flood) would otherwise cost a dozen queries per view. Entries live
`status_page_cache_seconds` and carry the workspace's change counter (api.events
`changes_key`) read BEFORE the database was: a target or incident event, a page change or
a status update bumps the counter, and an entry with an older count is never served. So a
status change shows at once, not a TTL later, and a view computed while a change was
committing is not kept.

Keys: `ref:slug:{slug}` / `ref:host:{host}` -> which page (id, workspace, PUBLIC or not);
`view:{page id}` and `feed:{page id}` -> the JSON view / the Atom body. A PASSWORD page's
view is served only after its password was checked against the database; nothing
secret (no password hash) is ever written to Redis. Unknown slugs and hosts are not
cached (a flood of made-up names fills no memory; the per-IP rate limit bounds it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from arq.connections import ArqRedis

from api.events import changes_key
from api.settings import Settings
from api.statuspages import public
from api.statuspages.models import StatusPage, Visibility
from api.statuspages.view import PublicPage, from_json, to_json

PREFIX = "hitflow:sp"


@dataclass
class Ref:
    page_id: int
    workspace_id: int
    public: bool
    gen: int


async def invalidate(redis: ArqRedis, workspace_id: int) -> None:
    """Every cached view of the workspace's pages is stale from now on."""
    await redis.incr(changes_key(workspace_id))


async def invalidate_page(redis: ArqRedis, page_id: int) -> None:
    page = await StatusPage.get_or_none(id=page_id)
    if page is not None:
        await invalidate(redis, page.workspace_id)


def _gen(raw: bytes | str | None) -> int:
    return int(raw or 0)


async def _ref(
    redis: ArqRedis, settings: Settings, *, slug: str | None, host: str | None
) -> tuple[Ref, StatusPage | None] | None:
    """Which page a slug or a verified host names (cached), and the page row when it was
    read from the database on the way."""
    key = f"{PREFIX}:ref:slug:{slug}" if slug is not None else f"{PREFIX}:ref:host:{host}"
    raw = await redis.get(key)
    if raw is not None:
        ref = Ref(**json.loads(raw))
        if _gen(await redis.get(changes_key(ref.workspace_id))) == ref.gen:
            return ref, None
    page = await public.find_page(slug=slug, host=host)
    if page is None:
        return None
    gen = _gen(await redis.get(changes_key(page.workspace_id)))
    ref = Ref(page.id, page.workspace_id, page.visibility is Visibility.PUBLIC, gen)
    await redis.set(key, json.dumps(asdict(ref)), ex=settings.status_page_cache_seconds)
    return ref, page


async def _cached(
    redis: ArqRedis,
    settings: Settings,
    key: str,
    workspace_id: int,
    compute: Callable[[], Awaitable[str | None]],
) -> str | None:
    """The text under `key` if it was computed at the workspace's current change count;
    else `compute()` (stored with the count read before it ran)."""
    raw, gen_raw = await redis.mget([key, changes_key(workspace_id)])
    gen = _gen(gen_raw)
    if raw is not None:
        entry = json.loads(raw)
        if entry["gen"] == gen:
            return str(entry["body"])
    body = await compute()
    if body is not None:
        await redis.set(
            key, json.dumps({"gen": gen, "body": body}), ex=settings.status_page_cache_seconds
        )
    return body


async def public_page(
    redis: ArqRedis,
    settings: Settings,
    *,
    slug: str | None = None,
    host: str | None = None,
    password: str | None = None,
) -> PublicPage | None:
    """The public view of the page at `slug` or at the verified domain `host`; None for
    an unknown one and for a PASSWORD page without its password (alike)."""
    found = await _ref(redis, settings, slug=slug, host=host)
    if found is None:
        await public.refuse_unknown(settings, password)
        return None
    ref, page = found
    if not ref.public:
        page = page or await StatusPage.get_or_none(id=ref.page_id)
        if page is None or not await public.admit(settings, page, password):
            return None

    async def compute() -> str | None:
        row = page or await StatusPage.get_or_none(id=ref.page_id)
        return None if row is None else to_json(await public.public_view(row)).decode()

    body = await _cached(redis, settings, f"{PREFIX}:view:{ref.page_id}", ref.workspace_id, compute)
    return None if body is None else from_json(body)


async def feed(
    redis: ArqRedis,
    settings: Settings,
    slug: str,
    render: Callable[[StatusPage], Awaitable[str]],
) -> str | None:
    """The Atom body of a PUBLIC page (rendered by `render` on a miss); None for an
    unknown slug and for a PASSWORD page (alike)."""
    found = await _ref(redis, settings, slug=slug, host=None)
    if found is None or not found[0].public:
        return None
    ref, page = found

    async def compute() -> str | None:
        row = page or await StatusPage.get_or_none(id=ref.page_id)
        if row is None or row.visibility is not Visibility.PUBLIC:
            return None
        return await render(row)

    return await _cached(redis, settings, f"{PREFIX}:feed:{ref.page_id}", ref.workspace_id, compute)
