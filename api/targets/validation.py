"""Validation of target input: one pydantic model per kind, errors as Invalid(field=...).

The models normalise a config (camelCase keys, defaults filled in). Secrets are split
off afterwards by api.targets.secrets.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from api.core.errors import DomainError, FieldErrors, Invalid, UnsafeTarget
from api.core.netguard import literal_refusal
from api.core.regions import REGIONS
from api.settings import Settings
from api.targets.checks import (
    check_host,
    check_json_path,
    check_status_item,
    check_url,
)
from api.targets.models import TargetKind

MAX_NAME = 200
MAX_HEADERS_BYTES = 8 * 1024
MAX_BODY_BYTES = 64 * 1024
MAX_INTERVAL = 86_400
RecordType = Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "CAA", "SRV", "PTR"]
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SECRET_PLACEHOLDER = "********"

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


# --- per-kind models ----------------------------------------------------------------------

Host = Annotated[StrictStr, Field(min_length=1, max_length=253)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]


class _Config(BaseModel):
    # allow_inf_nan=False: a GraphQL literal (jsonValue: 1e999) reaches here as inf,
    # which would be stored and served back as invalid JSON.
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, allow_inf_nan=False
    )


class BasicAuth(_Config):
    username: Annotated[StrictStr, Field(max_length=256)]
    password: Annotated[StrictStr, Field(max_length=1024)] | None = None


class HttpConfig(_Config):
    url: StrictStr
    method: HttpMethod = "GET"
    headers: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    body: StrictStr | None = None
    expected_status: list[StrictInt | StrictStr] | None = Field(None, alias="expectedStatus")
    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1024)] | None = None
    keyword_absent: StrictBool = Field(False, alias="keywordAbsent")
    json_path: StrictStr | None = Field(None, alias="jsonPath")
    json_value: StrictStr | StrictInt | float | StrictBool | None = Field(None, alias="jsonValue")
    follow_redirects: StrictBool = Field(True, alias="followRedirects")
    verify_tls: StrictBool = Field(True, alias="verifyTls")
    basic_auth: BasicAuth | None = Field(None, alias="basicAuth")
    secret_headers: list[StrictStr] = Field(default_factory=list, alias="secretHeaders")
    degraded_above_ms: Annotated[StrictInt, Field(gt=0, le=600_000)] | None = Field(
        None, alias="degradedAboveMs"
    )

    _url = field_validator("url")(lambda cls, v: check_url(v))
    _json_path = field_validator("json_path")(lambda cls, v: v if v is None else check_json_path(v))

    @field_validator("method", mode="before")
    @classmethod
    def _method_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("expected_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (int, str)) and not isinstance(value, bool) else value

    @field_validator("expected_status")
    @classmethod
    def _statuses(cls, value: list[int | str] | None) -> list[int | str] | None:
        if value is None:
            return None
        if not value or len(value) > 50:
            raise ValueError("must list 1 to 50 codes or ranges")
        return [check_status_item(item) for item in value]

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        size = 0
        for name, header_value in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if any(c in header_value for c in "\r\n\0"):
                raise ValueError(f"the value of {name!r} contains a line break")
            size += len(name.encode()) + len(header_value.encode()) + 4
        if size > MAX_HEADERS_BYTES:
            raise ValueError(f"headers must total at most {MAX_HEADERS_BYTES} bytes")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > MAX_BODY_BYTES:
            raise ValueError(f"must be at most {MAX_BODY_BYTES} bytes")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> HttpConfig:
        if self.json_value is not None and self.json_path is None:
            raise _FieldError("jsonValue", "needs jsonPath")
        for name in self.secret_headers:
            # A listed header may be left out of `headers` on update: its stored value stays.
            if not _HEADER_NAME.match(name):
                raise _FieldError("secretHeaders", f"{name!r} is not a valid header name")
        if self.body is not None and self.method in ("GET", "HEAD"):
            raise _FieldError("body", f"a {self.method} request has no body")
        return self


class TcpConfig(_Config):
    host: Host
    port: Port

    _host = field_validator("host")(lambda cls, v: check_host(v))


class DnsConfig(_Config):
    name: Host
    record_type: RecordType = Field("A", alias="recordType")
    expected: list[Annotated[StrictStr, Field(min_length=1, max_length=1024)]] | None = Field(
        None, max_length=50
    )
    nameserver: StrictStr | None = None

    _name = field_validator("name")(lambda cls, v: check_host(v, allow_underscore=True))

    @field_validator("record_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("nameserver")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise ValueError("must be an IP address") from None


class TlsConfig(_Config):
    host: Host
    port: Port = 443
    server_name: StrictStr | None = Field(None, alias="serverName")
    degraded_within_days: Annotated[StrictInt, Field(ge=0, le=3650)] = Field(
        14, alias="degradedWithinDays"
    )
    down_within_days: Annotated[StrictInt, Field(ge=0, le=3650)] = Field(0, alias="downWithinDays")

    _host = field_validator("host")(lambda cls, v: check_host(v))
    _sni = field_validator("server_name")(lambda cls, v: v if v is None else check_host(v))

    @model_validator(mode="after")
    def _thresholds(self) -> TlsConfig:
        if self.down_within_days > self.degraded_within_days:
            raise _FieldError("downWithinDays", "must not exceed degradedWithinDays")
        return self


class IcmpConfig(_Config):
    host: Host
    packets: Annotated[StrictInt, Field(ge=1, le=20)] = 3
    max_loss_percent: Annotated[int | float, Field(ge=0, le=100)] = Field(0, alias="maxLossPercent")

    _host = field_validator("host")(lambda cls, v: check_host(v))


class HeartbeatConfig(_Config):
    grace_seconds: Annotated[StrictInt, Field(ge=0, le=7 * 86_400)] = Field(
        60, alias="graceSeconds"
    )


CONFIG_MODELS: dict[TargetKind, type[_Config]] = {
    TargetKind.HTTP: HttpConfig,
    TargetKind.TCP: TcpConfig,
    TargetKind.DNS: DnsConfig,
    TargetKind.TLS: TlsConfig,
    TargetKind.ICMP: IcmpConfig,
    TargetKind.HEARTBEAT: HeartbeatConfig,
}


class _FieldError(ValueError):
    """A model-level error that names its field (a camelCase config key)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _alias_path(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Map a pydantic error location to camelCase config keys."""
    parts: list[str] = []
    current: Any = model
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [str(item)]
            continue
        name = str(item)
        field = getattr(current, "model_fields", {}).get(name) if current else None
        parts.append(field.alias or name if field else name)
        annotation = field.annotation if field else None
        current = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if field and current is None:
            for arg in getattr(annotation, "__args__", ()):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    current = arg
    return ".".join(parts)


def parse_config(kind: TargetKind, raw: Any) -> dict[str, Any]:
    """The normalised config of `kind` (camelCase keys, defaults filled) or Invalid."""
    if not isinstance(raw, dict):
        raise Invalid("config must be a JSON object.", field="config")
    model = CONFIG_MODELS[kind]
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        errors = FieldErrors()
        for err in exc.errors():
            errors.add(_config_error(kind, model, err))
        errors.raise_any()
        raise  # unreachable: a ValidationError has at least one error
    return parsed.model_dump(by_alias=True, exclude_none=True)


def _config_error(kind: TargetKind, model: type[BaseModel], err: Any) -> DomainError:
    """One pydantic error as an Invalid naming its camelCase config key."""
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, _FieldError):
        return Invalid(f"{ctx_error}.", field=f"config.{ctx_error.field}")
    path = _alias_path(model, tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        return Invalid(f"Unknown key {path!r} for a {kind} target.", field=f"config.{path}")
    message = str(err["msg"]).removeprefix("Value error, ")
    return Invalid(f"{path}: {message}.", field=f"config.{path}" if path else "config")


# The config keys (as parsed) naming what a probe connects to, per kind.
_DESTINATIONS: dict[TargetKind, tuple[str, ...]] = {
    TargetKind.HTTP: ("url",),
    TargetKind.TCP: ("host",),
    TargetKind.TLS: ("host",),
    TargetKind.ICMP: ("host",),
    TargetKind.DNS: ("nameserver",),
}
PRIVATE_SETTING = "HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS"


def check_destination(
    settings: Settings, kind: TargetKind, config: dict[str, Any]
) -> dict[str, Any]:
    """`config` unchanged, or UnsafeTarget when it names a private, loopback, link-local...
    address literal (or localhost) that probes may not reach: refused when saved, not only
    when probed. Host names are vetted again, resolved, at every probe (api.core.netguard).
    """
    allow = settings.probe_allow_private_networks
    for key in _DESTINATIONS.get(kind, ()):
        value = config.get(key)
        if not isinstance(value, str):
            continue
        host = (urlsplit(value).hostname or "") if key == "url" else value
        reason = literal_refusal(host, allow)
        if reason is None:
            continue
        if reason == "cloud metadata address":
            raise UnsafeTarget(f"{key} is a {reason}: never probed.", field=f"config.{key}")
        raise UnsafeTarget(
            f"{key} is a {reason}: probes reach private networks only when the operator"
            f" sets {PRIVATE_SETTING}=true.",
            field=f"config.{key}",
        )
    return config


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("The name must not be empty.", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"The name must be at most {MAX_NAME} characters.", field="name")
    if not name.isprintable():
        raise Invalid("The name must not contain control characters.", field="name")
    return name


DEFAULT_TIMEOUT_SECONDS = 10.0


def default_timeout(interval: int) -> float:
    """10 s, or 80 % of a shorter interval: a 5-second check gets a 4-second timeout."""
    return min(DEFAULT_TIMEOUT_SECONDS, round(interval * 0.8, 1))


def check_timing(settings: Settings, interval: int, timeout: float) -> None:
    """The interval's and the timeout's errors, both at once when both are wrong (the
    timeout is compared with the interval only when the interval itself is valid)."""
    errors = FieldErrors()
    if interval < settings.min_interval_seconds:
        errors.add(
            Invalid(
                f"The interval must be at least {settings.min_interval_seconds} seconds.",
                field="intervalSeconds",
            )
        )
    elif interval > MAX_INTERVAL:
        errors.add(
            Invalid(
                f"The interval must be at most {MAX_INTERVAL} seconds.", field="intervalSeconds"
            )
        )
    if not timeout > 0:
        errors.add(Invalid("The timeout must be positive.", field="timeoutSeconds"))
    elif timeout >= interval and not errors.errors:  # against a valid interval only
        errors.add(
            Invalid("The timeout must be shorter than the interval.", field="timeoutSeconds")
        )
    errors.raise_any()


def check_regions(settings: Settings, regions: list[str] | None) -> list[str]:
    """Known, served region codes, deduplicated in order; the default is every served region."""
    if regions is None:
        return list(settings.regions)
    if not regions:
        raise Invalid("Choose at least one region.", field="regions")
    seen: list[str] = []
    for code in regions:
        if code not in REGIONS:
            raise Invalid(f"Unknown region {code!r}.", field="regions")
        if code not in settings.regions:
            raise Invalid(f"Region {code!r} is not served by this deployment.", field="regions")
        if code not in seen:
            seen.append(code)
    return seen
