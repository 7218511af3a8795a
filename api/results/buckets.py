"""Fixed log-spaced latency buckets: histograms that merge by addition.

Bucket i holds response times in (BOUNDS_MS[i-1], BOUNDS_MS[i]] (bucket 0 starts at 0);
the last bucket, len(BOUNDS_MS), holds everything slower. Each bound is 10 % above the
previous one, so a percentile read from a merged histogram is within ~10 % of the truth.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping
from typing import Any

FACTOR = 1.1
BOUNDS_MS: tuple[float, ...] = tuple(round(FACTOR**i, 3) for i in range(0, 141))  # 1 ms .. ~660 s
OVERFLOW = len(BOUNDS_MS)


def bucket_of(ms: float) -> int:
    return bisect.bisect_left(BOUNDS_MS, ms)


def bucket_sql(column: str) -> str:
    """A SQL CASE giving the bucket of `column` (portable: SQLite and PostgreSQL)."""
    whens = " ".join(f"WHEN {column} <= {bound!r} THEN {i}" for i, bound in enumerate(BOUNDS_MS))
    return f"(CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {OVERFLOW} END)"


Histogram = dict[int, int]


def load(value: Any) -> Histogram:
    """A stored histogram (JSON text or dict with string keys) as {bucket: count}."""
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    return {int(k): int(v) for k, v in (value or {}).items()}


def merge(into: Histogram, other: Mapping[int, int]) -> Histogram:
    for bucket, count in other.items():
        into[bucket] = into.get(bucket, 0) + count
    return into


def dump(hist: Mapping[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(hist.items()) if v}


def percentiles(hist: Mapping[int, int], quantiles: Iterable[float]) -> list[float | None]:
    """Quantiles (0..1) from a histogram, interpolating linearly inside a bucket."""
    total = sum(hist.values())
    if total == 0:
        return [None for _ in quantiles]
    ordered = sorted(hist.items())
    out: list[float | None] = []
    for q in quantiles:
        rank = q * total
        seen = 0
        value = BOUNDS_MS[-1]
        for bucket, count in ordered:
            if count and seen + count >= rank:
                low = 0.0 if bucket == 0 else BOUNDS_MS[min(bucket, OVERFLOW) - 1]
                high = BOUNDS_MS[bucket] if bucket < OVERFLOW else low
                value = low + (high - low) * max(rank - seen, 0) / count
                break
            seen += count
        out.append(round(value, 3))
    return out
