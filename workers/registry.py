"""Every job and cron job, in one place. Domains add their lines here."""

from __future__ import annotations

from typing import Any

from arq import func
from arq.cron import CronJob

from workers.jobs.mail import send_email

# Jobs of the core worker (it owns the database).
CORE_FUNCTIONS: list[Any] = [
    func(send_email, max_tries=5, timeout=60),
]
CORE_CRON_JOBS: list[CronJob] = []

# Jobs of a probe worker (no database).
PROBE_FUNCTIONS: list[Any] = []

# Coroutines run once when a core worker starts / stops, after `resources` is in ctx
# (e.g. the scheduler loop and the result ingester): `async def f(ctx) -> None`.
CORE_STARTUP: list[Any] = []
CORE_SHUTDOWN: list[Any] = []
