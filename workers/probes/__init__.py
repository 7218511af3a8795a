"""Probes: pure async functions `(config, timeout, pctx) -> Outcome`, no database.

`run_check` in `workers.probes.base` wraps them into result dicts.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any


@functools.cache
def registry_of_kinds() -> dict[str, Callable[..., Awaitable[Any]]]:
    from workers.probes.dns import check_dns
    from workers.probes.http import check_http
    from workers.probes.icmp import check_icmp
    from workers.probes.tcp import check_tcp
    from workers.probes.tls import check_tls

    return {
        "HTTP": check_http,
        "TCP": check_tcp,
        "DNS": check_dns,
        "TLS": check_tls,
        "ICMP": check_icmp,
    }
