"""Typed settings, read once from HITFLOW_* environment variables.

Bad values fail at start with a message that names the variable.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.core.regions import REGIONS


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the HITFLOW_* variable."""


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HITFLOW_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    secret_keys: CommaList = Field(default_factory=list)
    # Keys the invoice pseudonyms (HMAC of the e-mail): must never change, unlike the key
    # ring. Unset: the OLDEST secret key (last of HITFLOW_SECRET_KEYS) - set this to that
    # key before retiring it, or old pseudonyms no longer match.
    pseudonym_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    app_url: str | None = None
    cors_origins: CommaList = Field(default_factory=list)
    # Request headers browsers may send cross-origin: ours, and those Apollo Client sends
    # (apollographql-client-*, apollo-require-preflight, x-apollo-operation-name).
    cors_allow_headers: CommaList = Field(
        default_factory=lambda: [
            "authorization",
            "content-type",
            "accept",
            "apollographql-client-name",
            "apollographql-client-version",
            "apollo-require-preflight",
            "x-apollo-operation-name",
        ]
    )
    # Peers whose X-Forwarded-For / -Proto uvicorn believes (IPs or networks, "*" = any);
    # empty: forwarded headers are ignored. Client IPs feed rate limits and logs.
    trusted_proxies: CommaList = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    smtp_url: str | None = None
    mail_from: str = "Hitflow <noreply@localhost>"
    regions: CommaList = Field(default_factory=lambda: list(REGIONS))
    # Unset: allowed in development (monitoring a site on your own machine is the first thing
    # a new user tries), refused in production. Cloud metadata addresses are always refused.
    probe_allow_private_networks: bool = False
    probe_extra_ca_file: str | None = None  # PEM CAs probes trust besides the system's
    probe_body_limit_bytes: int = Field(default=1_000_000, ge=1024)
    # Probe admission control (workers/probes/load.py, docs/performance.md): a check the
    # probe cannot run fairly is recorded INCONCLUSIVE, never DOWN.
    probe_max_concurrency: int = Field(default=500, ge=1, le=100_000)  # checks in flight
    # A check starts at most min(this, half its interval) after its due time.
    probe_start_budget_seconds: float = Field(default=30.0, gt=0, le=300)
    probe_max_loop_lag_ms: float = Field(default=250.0, gt=0, le=60_000)
    probe_load_log_seconds: float = Field(default=60.0, gt=0, le=3600)
    # uvloop as the event loop of `hitflow probe` (measured 13 % less CPU per check) and
    # of `hitflow worker` (not measurably faster: off by default). docs/performance.md.
    probe_uvloop: bool = True
    worker_uvloop: bool = False
    min_interval_seconds: int = Field(default=30, ge=1, le=86400)
    log_level: str = "INFO"
    log_json: bool = True

    # Fault tolerance (docs/operations.md).
    # A file the worker / probe processes keep touching (every second) while their
    # dependencies answer, and remove when they do not: `hitflow health --file` reads it.
    ready_file: Path | None = None
    # Cap of the results stream (XADD MAXLEN ~): the backlog of results that probes handed
    # over and the core worker has not ingested yet (an ingest stall, a database outage).
    # An entry is one probe flush (the results one batch finished within 250 ms): about
    # 5 batches/s per region, 1-4 flushes each, so 200 000 entries hold over an hour of
    # backlog for two regions. Beyond the cap the OLDEST entries are dropped.
    results_stream_max_len: int = Field(default=200_000, ge=1000)
    # Results an ingester took but did not commit (it died) are taken over by another
    # after this long.
    ingest_claim_idle_seconds: float = Field(default=30.0, ge=1, le=3600)

    # Accounts and abuse limits.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=64)
    session_ttl_days: int = Field(default=30, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    graphql_max_depth: int = Field(default=12, ge=2)
    graphql_max_aliases: int = Field(default=30, ge=1)
    graphql_max_tokens: int = Field(default=3000, ge=50)
    # Automatic persisted queries (api/graphql/persisted.py).
    apq_ttl_seconds: int = Field(default=86_400, ge=60)
    apq_max_document_bytes: int = Field(default=65_536, ge=1024)
    apq_max_new_per_hour: int = Field(default=10_000, ge=1)
    trusted_documents: Path | None = None  # JSON manifest sha256 -> document (first-party apps)
    # Fair use of the API between tenants (api/graphql/cost.py, docs/security.md "Limits").
    graphql_max_cost: int = Field(default=5000, ge=10)
    graphql_cost_list_size: int = Field(default=20, ge=1)  # assumed length of plain lists
    graphql_max_concurrent_per_principal: int = Field(default=4, ge=1)
    # Operations admitted at once per API process, fairly between callers (fairgate.py).
    graphql_max_concurrent_operations: int = Field(default=4, ge=1)
    # How long an operation may wait for its turn (or its caller's budget) at the gate.
    graphql_gate_wait_seconds: float = Field(default=5.0, ge=0)
    # Cost each caller may spend per minute (0: no budget): 50 per operation plus its
    # static cost (a refused one: graphql_max_cost); bursts of 10 s' worth.
    graphql_cost_budget_per_minute: int = Field(default=120_000, ge=0)
    graphql_concurrency_wait_seconds: float = Field(default=2.0, ge=0)
    graphql_timeout_seconds: float = Field(default=10.0, gt=0)
    # Invitations (api/workspaces/members.py, docs/security.md "Limits"): mails per day.
    invitations_per_workspace_per_day: int = Field(default=50, ge=1)
    invitations_per_inviter_per_day: int = Field(default=30, ge=1)
    invitations_per_recipient_per_day: int = Field(default=3, ge=1)

    # Alerting and delivery (api/incidents, api/notifications, workers/jobs/delivery.py).
    alert_max_attempts: int = Field(default=6, ge=1, le=20)
    alert_retry_base_seconds: float = Field(default=10.0, gt=0)
    alert_retry_max_seconds: float = Field(default=3600.0, gt=0)
    alert_http_timeout_seconds: float = Field(default=10.0, gt=0)
    alert_channel_failure_limit: int = Field(default=5, ge=1)  # permanent failures in a row
    alert_flap_limit_per_hour: int = Field(default=10, ge=1)  # per target and channel
    # How long a DOWN of a target with dependencies (either way) waits for the rest of
    # its graph before alerting: one page naming the upstream and its affected dependents.
    dependency_settle_seconds: float = Field(default=60.0, ge=0, le=900)
    telegram_api_url: str = "https://api.telegram.org"
    pagerduty_api_url: str = "https://events.pagerduty.com"
    opsgenie_api_url: str = "https://api.opsgenie.com"
    twilio_api_url: str = "https://api.twilio.com"
    pushover_api_url: str = "https://api.pushover.net"

    # Live updates (websocket subscriptions).
    live_queue_size: int = Field(default=256, ge=1, le=100_000)
    live_max_subscriptions_per_connection: int = Field(default=20, ge=1)
    live_max_subscriptions_per_principal: int = Field(default=100, ge=1)  # across sockets
    live_ws_compression: bool = False  # permessage-deflate on websockets (memory per socket)

    # OAuth 2 authorization server (api/oauth, docs/oauth.md).
    # Requests a minute per API token where the workspaces' plan sets no API rate
    # (UNLIMITED: self-hosted); otherwise the plan's rate applies (api/oauth/ratelimit.py).
    oauth_rate_limit_per_minute: int = Field(default=600, ge=1)
    # Operations per minute over the websockets of one logged-in session (API tokens
    # spend their token budget, shared with their HTTP requests).
    session_rate_limit_per_minute: int = Field(default=1200, ge=1)
    oauth_access_token_ttl_seconds: int = Field(default=3600, ge=60, le=86400)
    oauth_refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)

    # Badges (api/badges) and metrics (api/metrics, docs/metrics.md).
    badge_rate_limit_per_minute: int = Field(default=300, ge=1)  # per client IP
    badge_cache_seconds: int = Field(default=60, ge=1, le=3600)
    metrics_host: str = "127.0.0.1"  # where --metrics-port listens (Hitflow's own metrics)
    # OpenTelemetry tracing (api/core/tracing.py, docs/metrics.md): on when the standard
    # OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP/HTTP, e.g. http://collector:4318); the
    # exporter reads the other standard OTEL_* variables itself. Needs the `otel` extra.
    otel_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    # Public status pages (api/statuspages, docs/status-pages.md): statusPage queries and
    # feed requests per client IP and minute.
    status_page_rate_limit_per_minute: int = Field(default=120, ge=1)
    # How long a public view (statusPage, statusPageByDomain, the feed) is served from
    # Redis; a page change, a status update or a target / incident event ends it sooner.
    status_page_cache_seconds: int = Field(default=15, ge=1, le=300)
    # The DNS server asked for custom-domain TXT records, as ip:port; unset = the system's.
    dns_resolver: str | None = None
    # Subscribing to a page (api/statuspages/subscribers.py): attempts per client IP and
    # per address (whatever the page) and hour; an unconfirmed address is deleted after
    # status_page_pending_hours.
    status_page_subscribe_per_ip_per_hour: int = Field(default=20, ge=1)
    status_page_subscribe_per_address_per_hour: int = Field(default=3, ge=1)
    status_page_pending_hours: int = Field(default=48, ge=1, le=24 * 30)

    # Privacy and data lifecycle (api/privacy, docs/privacy.md).
    retention_days: int = Field(default=365, ge=1, le=365)
    retention_raw_days_free: int = Field(default=30, ge=1, le=365)
    retention_raw_days_pro: int = Field(default=90, ge=1, le=365)
    retention_raw_days_business: int = Field(default=365, ge=1, le=365)
    retention_batch_size: int = Field(default=5000, ge=1, le=100_000)
    # PostgreSQL: check_results partitioned by checked_at (api/results/partitions.py),
    # one partition per this many days, created this many spans ahead.
    results_partition_days: int = Field(default=1, ge=1, le=31)
    results_partitions_ahead: int = Field(default=2, ge=1, le=60)
    deletion_grace_days: int = Field(default=7, ge=0, le=30)
    backup_retention_days: int = Field(default=7, ge=1, le=30)
    backup_dir: Path | None = None
    export_ttl_hours: int = Field(default=24, ge=1, le=168)
    statistics_min_workspaces: int = Field(default=10, ge=2)
    partners_json: str | None = None
    privacy_policy_version: str = "2026-01"
    privacy_policy_effective_at: str = "2026-01-01T00:00:00+00:00"
    privacy_policy_url: str | None = None

    # Billing (api/billing, docs/billing.md). A provider is enabled when its keys are set;
    # with none enabled every workspace is unlimited (self-hosted).
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_prices: Annotated[dict[str, dict[str, str]], NoDecode] = Field(default_factory=dict)
    paypal_client_id: str | None = None
    paypal_client_secret: SecretStr | None = None
    paypal_webhook_id: str | None = None
    paypal_api_base: str = "https://api-m.paypal.com"
    paypal_plans: Annotated[dict[str, dict[str, str]], NoDecode] = Field(default_factory=dict)
    billing_grace_days: int = Field(default=7, ge=0, le=60)

    _split_lists = field_validator(
        "secret_keys",
        "cors_origins",
        "cors_allow_headers",
        "regions",
        "trusted_proxies",
        mode="before",
    )(_split)

    @field_validator("otel_endpoint")
    @classmethod
    def _otlp_http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"must be the http(s) URL of an OTLP/HTTP collector "
                f"(e.g. http://collector:4318), not {value!r}"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        proxies = [v.strip() for v in value if v.strip()]
        for proxy in proxies:
            if proxy == "*":
                continue
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"must be IP addresses or networks (or *), got {proxy!r}"
                ) from None
        return proxies

    @field_validator("public_url", "app_url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            if info.field_name == "app_url":
                return None  # empty = unset: the public URL is used
            raise ValueError("must be an http(s) URL")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}")
        return level

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        # Browsers send "scheme://host[:port]" in lowercase without a default port; CORS
        # compares strings, so a path, a trailing slash or "HTTPS://" would never match.
        origins = []
        for origin in value:
            parts = urlsplit(origin.strip().rstrip("/"))
            scheme = parts.scheme.lower()
            try:
                port = parts.port
            except ValueError:
                port = -1
            if scheme not in ("http", "https") or not parts.hostname or parts.path or port == -1:
                raise ValueError(f"origins look like https://app.example.com, got {origin!r}")
            default = 443 if scheme == "https" else 80
            suffix = f":{port}" if port not in (None, default) else ""
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            origins.append(f"{scheme}://{host}{suffix}")
        return origins

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split(":", 1)[0]
        if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
            raise ValueError(f"must start with sqlite:// or postgres://, got scheme {scheme!r}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.split(":", 1)[0] not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("dns_resolver")
    @classmethod
    def _dns_resolver(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise ValueError(f"must be ip:port (like 127.0.0.1:53), got {value!r}") from None
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"must be ip:port (like 127.0.0.1:53), got {value!r}")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if urlsplit(value).scheme not in ("smtp", "smtps"):
            raise ValueError("must be an smtp:// or smtps:// URL")
        return value

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in REGIONS]
        if unknown:
            raise ValueError(f"unknown region(s) {unknown}; known: {sorted(REGIONS)}")
        if not value:
            raise ValueError("at least one region is required")
        return value

    @field_validator("pseudonym_key")
    @classmethod
    def _pseudonym_key(cls, value: str | None) -> str | None:
        if value:
            cls._keys([value])
        return value or None

    @field_validator("secret_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for key in value:
            try:
                raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            except ValueError as exc:
                raise ValueError("each key must be 32 bytes, url-safe base64") from exc
            if len(raw) != 32:
                raise ValueError("each key must be 32 bytes, url-safe base64")
        return value

    @field_validator("partners_json")
    @classmethod
    def _partners(cls, value: str | None) -> str | None:
        if not value:
            return None
        import json

        try:
            items = json.loads(value)
            ok = isinstance(items, list) and all(
                isinstance(i, dict) and {"name", "purpose", "location"} <= set(i) for i in items
            )
        except ValueError:
            ok = False
        if not ok:
            raise ValueError('must be a JSON list of {"name", "purpose", "location"} objects')
        return value

    @field_validator("stripe_prices", "paypal_plans", mode="before")
    @classmethod
    def _provider_ids(cls, value: object) -> object:
        # JSON of plan -> currency -> the provider's price / plan id.
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            import json

            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError('must be JSON like {"PRO": {"EUR": "price_1"}}') from exc
        if not isinstance(value, dict) or not all(
            isinstance(v, dict) and all(isinstance(i, str) for i in v.values())
            for v in value.values()
        ):
            raise ValueError('must be JSON like {"PRO": {"EUR": "price_1"}}')
        return {
            str(plan).upper(): {str(cur).upper(): pid for cur, pid in ids.items()}
            for plan, ids in value.items()
        }

    @field_validator("stripe_api_base", "paypal_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("privacy_policy_effective_at")
    @classmethod
    def _iso_datetime(cls, value: str) -> str:
        from datetime import datetime

        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"must be an ISO 8601 date-time, got {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _deletion_promise(self) -> Settings:
        # Deleted data must leave the backups within the 30 days the privacy policy promises.
        if self.deletion_grace_days + self.backup_retention_days > 30:
            raise ValueError(
                "HITFLOW_DELETION_GRACE_DAYS + HITFLOW_BACKUP_RETENTION_DAYS must be <= 30 "
                f"(got {self.deletion_grace_days} + {self.backup_retention_days})"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _private_networks_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("probe_allow_private_networks") in (None, ""):
            data = {**data, "probe_allow_private_networks": data.get("env") != "production"}
        return data

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production" and not self.secret_keys:
            raise ValueError("HITFLOW_SECRET_KEYS is required in production (no generated dev key)")
        return self

    # Derived values -------------------------------------------------------

    @property
    def production(self) -> bool:
        return self.env == "production"

    def raw_retention_days(self, plan: str) -> int:
        """How long raw check results are kept for a workspace plan (unknown plan: free)."""
        if plan.lower() == "unlimited":  # self-hosted / operator grant: the overall limit
            return self.retention_days
        days = getattr(self, f"retention_raw_days_{plan.lower()}", None)
        return int(days) if isinstance(days, int) else self.retention_raw_days_free

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def paypal_enabled(self) -> bool:
        return bool(self.paypal_client_id and self.paypal_client_secret and self.paypal_webhook_id)

    @property
    def billing_enabled(self) -> bool:
        """False on a self-hosted instance with no provider: every workspace is unlimited."""
        return self.stripe_enabled or self.paypal_enabled

    @property
    def effective_backup_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def effective_app_url(self) -> str:
        return self.app_url or self.public_url

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgres://" + url[len("postgresql://") :]
            return url
        return f"sqlite://{(self.data_dir / 'hitflow.sqlite3').resolve()}"

    @cached_property
    def key_ring_keys(self) -> list[bytes]:
        """The encryption key ring, newest first; a dev key is generated when none is set."""
        keys = self.secret_keys or [_dev_key(self.data_dir)]
        return [base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)) for k in keys]

    @property
    def pseudonym_key_bytes(self) -> bytes:
        """The stable key of invoice pseudonyms (see `pseudonym_key`)."""
        if self.pseudonym_key:
            return base64.urlsafe_b64decode(
                self.pseudonym_key + "=" * (-len(self.pseudonym_key) % 4)
            )
        return self.key_ring_keys[-1]


def _dev_key(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise SettingsError naming the bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = "_".join(str(p) for p in err["loc"]) if err["loc"] else ""
            name = f"HITFLOW_{loc.upper()}" if loc else "settings"
            if loc.upper().startswith("OTEL_"):  # a standard OpenTelemetry variable
                name = loc.upper()
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("invalid configuration: " + "; ".join(lines)) from None
