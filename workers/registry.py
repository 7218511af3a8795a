"""Every job and cron job, in one place. Domains add their lines here."""

from __future__ import annotations

from typing import Any

from arq import func
from arq.cron import CronJob, cron

from workers.jobs.accounts import notify_expiring_tokens, send_password_reset_email
from workers.jobs.alerting import (
    alerting_tick,
    check_certificates,
    notify_held_incidents,
    process_transitions,
)
from workers.jobs.backup import backup_database
from workers.jobs.billing import cancel_subscription_for_deletion, settle_billing
from workers.jobs.checks import IN_PROGRESS_SECONDS, run_batch, start_probe, stop_probe
from workers.jobs.delivery import close_clients, deliver_notification
from workers.jobs.export import build_data_export, expire_data_exports
from workers.jobs.ingest import start_ingest, stop_ingest
from workers.jobs.mail import send_email
from workers.jobs.oauth import purge_expired_oauth
from workers.jobs.partitions import ensure_result_partitions
from workers.jobs.purge import purge_deleted_accounts, purge_user
from workers.jobs.retention import apply_retention
from workers.jobs.rollups import rollup_results
from workers.jobs.scheduler import start_scheduler, stop_scheduler
from workers.jobs.sla_reports import queue_monthly_sla_reports, send_monthly_sla_report
from workers.jobs.statistics import compute_usage_statistics
from workers.jobs.statuspages import (
    deliver_status_page_webhook,
    expire_status_page_subscriptions,
    notify_status_page_subscribers,
)

# Jobs of the core worker (it owns the database).
CORE_FUNCTIONS: list[Any] = [
    func(send_email, max_tries=5, timeout=60),
    func(send_password_reset_email, max_tries=3, timeout=60),
    # keep_result=0: a finished job's id must not block the next dispatch (dispatch.py).
    func(process_transitions, max_tries=3, timeout=300, keep_result=0),
    func(notify_held_incidents, max_tries=3, timeout=300),
    func(deliver_notification, max_tries=25, timeout=120),
    func(alerting_tick, max_tries=1, timeout=300),
    func(check_certificates, max_tries=1, timeout=600),
    func(build_data_export, max_tries=3, timeout=600),
    func(purge_user, max_tries=3, timeout=3600),
    func(purge_deleted_accounts, max_tries=1, timeout=3600),
    func(apply_retention, max_tries=1, timeout=3600),
    func(cancel_subscription_for_deletion, max_tries=12, timeout=120),
    func(settle_billing, max_tries=1, timeout=600),
    func(notify_status_page_subscribers, max_tries=5, timeout=600),
    func(deliver_status_page_webhook, max_tries=8, timeout=120),
    func(send_monthly_sla_report, max_tries=3, timeout=600),
]
CORE_CRON_JOBS: list[CronJob] = [
    cron(rollup_results, minute=set(range(2, 60, 5)), unique=True, timeout=600),  # 5 min
    cron(alerting_tick, unique=True, timeout=300),  # every minute
    cron(check_certificates, minute=7, unique=True, timeout=600),  # hourly
    cron(purge_expired_oauth, minute=23, unique=True, timeout=300),  # hourly
    # Data lifecycle (api/privacy): daily, at night UTC; exports expire hourly.
    # PostgreSQL: check_results partitions for now and ahead (api/results/partitions.py).
    cron(ensure_result_partitions, minute=3, unique=True, timeout=600),  # hourly
    cron(apply_retention, hour=2, minute=10, unique=True, timeout=3600),
    cron(purge_deleted_accounts, hour=2, minute=40, unique=True, timeout=3600),
    cron(backup_database, hour=3, minute=5, unique=True, timeout=3600),
    cron(compute_usage_statistics, hour=4, minute=20, unique=True, timeout=1800),
    cron(expire_data_exports, minute=15, unique=True, timeout=300),
    cron(queue_monthly_sla_reports, minute=50, unique=True, timeout=300),  # hourly
    cron(notify_expiring_tokens, minute=35, unique=True, timeout=300),  # hourly
    # Billing (api/billing): PAST_DUE past the grace period falls to FREE; plans set by
    # `hitflow plan set` pause / resume targets. Every 5 minutes.
    cron(settle_billing, minute=set(range(1, 60, 5)), unique=True, timeout=600),
    # Status page subscriptions never confirmed are deleted (hourly).
    cron(expire_status_page_subscriptions, minute=47, unique=True, timeout=300),
]

# Jobs of a probe worker (no database). A batch runs at most PROBE_JOB_TIMEOUT s (a check's
# own timeout is shorter than its interval); arq's in-progress mark of a running batch
# lives PROBE_IN_PROGRESS_SECONDS and is renewed while the batch runs, so the batch of a
# probe killed mid-way is re-run (try 2 of max_tries) by the next probe within that time.
# The scheduler's job expiry (workers/jobs/scheduler.py, JOB_EXPIRES) covers a start
# delay, a full run and that re-run.
PROBE_JOB_TIMEOUT = 120
PROBE_IN_PROGRESS_SECONDS = IN_PROGRESS_SECONDS
PROBE_FUNCTIONS: list[Any] = [
    func(run_batch, name="run_checks", max_tries=3, timeout=PROBE_JOB_TIMEOUT),
]

# Coroutines run once when a core worker starts / stops, after `resources` is in ctx
# (e.g. the scheduler loop and the result ingester): `async def f(ctx) -> None`.
CORE_STARTUP: list[Any] = [start_scheduler, start_ingest]
CORE_SHUTDOWN: list[Any] = [stop_scheduler, stop_ingest, close_clients]

# The same for a probe worker (process-wide probe state: workers/jobs/checks.py).
PROBE_STARTUP: list[Any] = [start_probe]
PROBE_SHUTDOWN: list[Any] = [stop_probe]
