"""The public status page and its feed, served from Redis for a few seconds.

A popular page (or a flood) would otherwise cost a dozen queries per view. Entries live
`status_page_cache_seconds` and carry the workspace's change counter (api.events
`changes_key`) read BEFORE the database was: a target or incident event, a page change or
a status update bumps the counter, and an entry with an older count is never served. So a
status change shows at once, not a TTL later, and a view computed while a change was
committing is not kept.

Keys: `ref:slug:{slug}` / `ref:host:{host}` -> which page (id, workspace, PUBLIC or not);
`view:{page id}` and `feed:{page id}` -> the JSON view / the Atom body, each behind a
small `...:tag` key ("{change count}:{random}"); a hit reads the ref, then the count and
the tag, and reuses this process's decoded copy when the tag matches. A PASSWORD page's
view is served only after its password was checked against the database; nothing
secret (no password hash) is ever written to Redis. Unknown slugs and hosts are not
cached (a flood of made-up names fills no memory; the per-IP rate limit bounds it).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

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


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


T = TypeVar("T")
_UNKNOWN = "?"  # the entry's tag was not read yet
# Decoded entries of this process, by (kind, page id): (tag, value). An entry is used only
# while Redis still holds its tag (same change count, same random suffix), so it never
# outlives the shared entry: this spares decoding, not the freshness checks.
_MEMO: dict[tuple[str, int], tuple[str, Any]] = {}
MEMO_SIZE = 512


def _remember(kind: str, page_id: int, tag: str, value: Any) -> None:
    _MEMO.pop((kind, page_id), None)
    _MEMO[(kind, page_id)] = (tag, value)
    while len(_MEMO) > MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))


async def _ref(
    redis: ArqRedis, settings: Settings, kind: str, *, slug: str | None, host: str | None
) -> tuple[Ref, StatusPage | None, int, str | None] | None:
    """Which page a slug or a verified host names (cached), the page row when it was read
    from the database on the way, the workspace's change count, and the tag of the
    page's `kind` entry (_UNKNOWN when not read). Two Redis round trips on a hit."""
    key = f"{PREFIX}:ref:slug:{slug}" if slug is not None else f"{PREFIX}:ref:host:{host}"
    raw = await redis.get(key)
    if raw is not None:
        ref = Ref(**json.loads(raw))
        gen_raw, tag_raw = await redis.mget(
            [changes_key(ref.workspace_id), f"{PREFIX}:{kind}:{ref.page_id}:tag"]
        )
        if _gen(gen_raw) == ref.gen:
            return ref, None, ref.gen, _text(tag_raw)
    page = await public.find_page(slug=slug, host=host)
    if page is None:
        return None
    gen = _gen(await redis.get(changes_key(page.workspace_id)))
    ref = Ref(page.id, page.workspace_id, page.visibility is Visibility.PUBLIC, gen)
    await redis.set(key, json.dumps(asdict(ref)), ex=settings.status_page_cache_seconds)
    return ref, page, gen, _UNKNOWN


async def _cached(
    redis: ArqRedis,
    settings: Settings,
    kind: str,
    page_id: int,
    gen: int,
    tag: str | None,
    compute: Callable[[], Awaitable[T | None]],
    encode: Callable[[T], str],
    decode: Callable[[str], T],
) -> T | None:
    """The page's `kind` entry if it was computed at change count `gen`; else
    `compute()`, stored with `gen` (read before it ran) and a random suffix."""
    key = f"{PREFIX}:{kind}:{page_id}"
    if tag == _UNKNOWN:
        tag = _text(await redis.get(f"{key}:tag"))
    if tag is not None and tag.split(":", 1)[0] == str(gen):
        memo = _MEMO.get((kind, page_id))
        if memo is not None and memo[0] == tag:
            return memo[1]  # stored by this function as a T
        stored_tag, _, body = (_text(await redis.get(key)) or "").partition("\n")
        if stored_tag == tag:
            value = decode(body)
            _remember(kind, page_id, tag, value)
            return value
    computed = await compute()
    if computed is None:
        return None
    tag = f"{gen}:{secrets.token_hex(8)}"
    ttl = settings.status_page_cache_seconds
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, f"{tag}\n{encode(computed)}", ex=ttl)
        pipe.set(f"{key}:tag", tag, ex=ttl)
        await pipe.execute()
    _remember(kind, page_id, tag, computed)
    return computed


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
    found = await _ref(redis, settings, "view", slug=slug, host=host)
    if found is None:
        await public.refuse_unknown(settings, password)
        return None
    ref, page, gen, tag = found
    if not ref.public:
        page = page or await StatusPage.get_or_none(id=ref.page_id)
        if page is None or not await public.admit(settings, page, password):
            return None

    async def compute() -> PublicPage | None:
        row = page or await StatusPage.get_or_none(id=ref.page_id)
        return None if row is None else await public.public_view(row)

    return await _cached(
        redis,
        settings,
        "view",
        ref.page_id,
        gen,
        tag,
        compute,
        lambda view: to_json(view).decode(),
        from_json,
    )


async def feed(
    redis: ArqRedis,
    settings: Settings,
    slug: str,
    render: Callable[[StatusPage], Awaitable[str]],
) -> str | None:
    """The Atom body of a PUBLIC page (rendered by `render` on a miss); None for an
    unknown slug and for a PASSWORD page (alike)."""
    found = await _ref(redis, settings, "feed", slug=slug, host=None)
    if found is None or not found[0].public:
        return None
    ref, page, gen, tag = found

    async def compute() -> str | None:
        row = page or await StatusPage.get_or_none(id=ref.page_id)
        if row is None or row.visibility is not Visibility.PUBLIC:
            return None
        return await render(row)

    return await _cached(redis, settings, "feed", ref.page_id, gen, tag, compute, str, str)
