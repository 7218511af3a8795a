"""Typed target configs: one input and one output type per kind (replacing the JSON
`config`, kept one release as deprecated). The services still validate the camelCase dict
(api/targets/validation.py): these types only give clients a schema to generate from."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, get_args

import strawberry
from strawberry.scalars import JSON

from api.core.errors import Invalid
from api.graphql.typed import input_to_dict, only_member, output_from_dict
from api.targets.models import TargetKind
from api.targets.validation import HttpMethod as _Methods
from api.targets.validation import RecordType as _RecordTypes

SECRET = "write-only: reads back as ********"


@strawberry.enum(description="An HTTP request method.")
class HttpMethod(Enum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"


@strawberry.enum(description="A DNS record type.")
class DnsRecordType(Enum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    MX = "MX"
    NS = "NS"
    TXT = "TXT"
    SOA = "SOA"
    CAA = "CAA"
    SRV = "SRV"
    PTR = "PTR"


# The enums list exactly the values validation accepts.
assert {m.value for m in HttpMethod} == set(get_args(_Methods))
assert {t.value for t in DnsRecordType} == set(get_args(_RecordTypes))


@strawberry.input(description="An HTTP header.")
class HttpHeaderInput:
    name: str = strawberry.field(description="Header name.")
    value: str = strawberry.field(description="Header value.")


@strawberry.type(description="An HTTP header (a secret header's value reads ********).")
class HttpHeader:
    name: str = strawberry.field(description="Header name.")
    value: str = strawberry.field(description="Header value.")


@strawberry.input(description="HTTP basic authentication.")
class BasicAuthInput:
    username: str = strawberry.field(description="User name.")
    password: str | None = strawberry.field(
        default=None, description=f"Password ({SECRET}; ******** or null keeps it)."
    )


@strawberry.type(description="HTTP basic authentication.")
class BasicAuth:
    username: str = strawberry.field(description="User name.")
    password: str | None = strawberry.field(description="******** when a password is set.")


@strawberry.input(description="An HTTP(S) check: a request and what the answer must be.")
class HttpConfigInput:
    url: str = strawberry.field(description="http:// or https:// URL to request.")
    method: HttpMethod | None = strawberry.field(default=None, description="Default GET.")
    headers: list[HttpHeaderInput] | None = strawberry.field(
        default=None, description="Request headers."
    )
    body: str | None = strawberry.field(default=None, description="Request body (not GET/HEAD).")
    expected_status: list[str] | None = strawberry.field(
        default=None, description='Accepted statuses: codes or ranges ("200", "2xx", "200-299").'
    )
    keyword: str | None = strawberry.field(default=None, description="Text the body must contain.")
    keyword_absent: bool | None = strawberry.field(
        default=None, description="True: the keyword must NOT appear."
    )
    json_path: str | None = strawberry.field(
        default=None, description="JSON path in the body to compare (e.g. $.status)."
    )
    json_value: JSON | None = strawberry.field(
        default=None, description="The value expected at jsonPath (any JSON scalar)."
    )
    follow_redirects: bool | None = strawberry.field(
        default=None, description="Follow redirects (default true)."
    )
    verify_tls: bool | None = strawberry.field(
        default=None, description="Verify the certificate (default true)."
    )
    basic_auth: BasicAuthInput | None = strawberry.field(
        default=None, description="HTTP basic authentication."
    )
    secret_headers: list[str] | None = strawberry.field(
        default=None, description=f"Names of headers whose values are secret ({SECRET})."
    )
    degraded_above_ms: int | None = strawberry.field(
        default=None, description="DEGRADED when slower than this many milliseconds."
    )


@strawberry.type(description="An HTTP(S) check.")
class HttpConfig:
    url: str = strawberry.field(description="The URL requested.")
    method: HttpMethod = strawberry.field(description="HTTP method.")
    headers: list[HttpHeader] | None = strawberry.field(description="Request headers.")
    body: str | None = strawberry.field(description="Request body.")
    expected_status: list[str] | None = strawberry.field(
        description="Accepted statuses; null: 200-399."
    )
    keyword: str | None = strawberry.field(description="Text the body must (not) contain.")
    keyword_absent: bool | None = strawberry.field(description="True: the keyword must not appear.")
    json_path: str | None = strawberry.field(description="JSON path compared in the body.")
    json_value: JSON | None = strawberry.field(description="Value expected at jsonPath.")
    follow_redirects: bool | None = strawberry.field(description="Whether redirects are followed.")
    verify_tls: bool | None = strawberry.field(description="Whether the certificate is verified.")
    basic_auth: BasicAuth | None = strawberry.field(description="HTTP basic authentication.")
    secret_headers: list[str] | None = strawberry.field(description="Names of secret headers.")
    degraded_above_ms: int | None = strawberry.field(description="DEGRADED above this latency.")


@strawberry.input(description="A TCP check: a connection must open.")
class TcpConfigInput:
    host: str = strawberry.field(description="Host name or IP address.")
    port: int = strawberry.field(description="TCP port.")


@strawberry.type(description="A TCP check.")
class TcpConfig:
    host: str = strawberry.field(description="Host name or IP address.")
    port: int = strawberry.field(description="TCP port.")


@strawberry.input(description="A DNS check: a record must resolve (to expected values).")
class DnsConfigInput:
    name: str = strawberry.field(description="The name to resolve.")
    record_type: DnsRecordType | None = strawberry.field(
        default=None, description="Record type (default A)."
    )
    expected: list[str] | None = strawberry.field(
        default=None, description="Values the answer must contain."
    )
    nameserver: str | None = strawberry.field(
        default=None, description="IP address of the resolver to ask."
    )


@strawberry.type(description="A DNS check.")
class DnsConfig:
    name: str = strawberry.field(description="The name resolved.")
    record_type: DnsRecordType = strawberry.field(description="Record type.")
    expected: list[str] | None = strawberry.field(description="Values the answer must contain.")
    nameserver: str | None = strawberry.field(description="Resolver asked, if not the default.")


@strawberry.input(description="A TLS check: the certificate and how close it is to expiry.")
class TlsConfigInput:
    host: str = strawberry.field(description="Host name or IP address.")
    port: int | None = strawberry.field(default=None, description="Port (default 443).")
    server_name: str | None = strawberry.field(
        default=None, description="SNI name, if not the host."
    )
    degraded_within_days: int | None = strawberry.field(
        default=None, description="DEGRADED when expiring within this many days (default 14)."
    )
    down_within_days: int | None = strawberry.field(
        default=None, description="DOWN when expiring within this many days (default 0)."
    )


@strawberry.type(description="A TLS check.")
class TlsConfig:
    host: str = strawberry.field(description="Host name or IP address.")
    port: int = strawberry.field(description="Port.")
    server_name: str | None = strawberry.field(description="SNI name, if not the host.")
    degraded_within_days: int = strawberry.field(description="DEGRADED threshold in days.")
    down_within_days: int = strawberry.field(description="DOWN threshold in days.")


@strawberry.input(description="An ICMP (ping) check.")
class IcmpConfigInput:
    host: str = strawberry.field(description="Host name or IP address.")
    packets: int | None = strawberry.field(default=None, description="Pings sent (default 3).")
    max_loss_percent: float | None = strawberry.field(
        default=None, description="Packet loss tolerated, in percent (default 0)."
    )


@strawberry.type(description="An ICMP (ping) check.")
class IcmpConfig:
    host: str = strawberry.field(description="Host name or IP address.")
    packets: int = strawberry.field(description="Pings sent.")
    max_loss_percent: float = strawberry.field(description="Packet loss tolerated, in percent.")


@strawberry.input(description="A heartbeat: your job calls Target.heartbeatUrl each period.")
class HeartbeatConfigInput:
    grace_seconds: int | None = strawberry.field(
        default=None, description="Lateness tolerated after each period (default 60)."
    )


@strawberry.type(description="A heartbeat.")
class HeartbeatConfig:
    grace_seconds: int = strawberry.field(description="Lateness tolerated after each period.")


@strawberry.input(
    one_of=True, description="A target's settings: exactly one field, the target's kind."
)
class TargetConfigInput:
    http: HttpConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="HTTP(S)."
    )
    tcp: TcpConfigInput | None = strawberry.field(default=strawberry.UNSET, description="TCP.")
    dns: DnsConfigInput | None = strawberry.field(default=strawberry.UNSET, description="DNS.")
    tls: TlsConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="TLS certificate."
    )
    icmp: IcmpConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="ICMP ping."
    )
    heartbeat: HeartbeatConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Heartbeat."
    )


TargetConfig = Annotated[
    HttpConfig | TcpConfig | DnsConfig | TlsConfig | IcmpConfig | HeartbeatConfig,
    strawberry.union("TargetConfig", description="A target's settings, by kind."),
]


def config_from_input(value: TargetConfigInput, kind: TargetKind | None) -> dict[str, Any]:
    """The JSON config a typed input stands for; its member must match the target's kind."""
    member, item = only_member(value)
    if kind is not None and member.upper() != kind.value:
        raise Invalid(
            f"typedConfig.{member} does not fit a {kind.value} target.", field="typedConfig"
        )
    config = _enum_values(input_to_dict(item))
    if isinstance(config.get("headers"), list):
        config["headers"] = {h["name"]: h["value"] for h in config["headers"]}
    return config


def _headers(raw: dict[str, str]) -> list[HttpHeader]:
    return [HttpHeader(name=k, value=v) for k, v in raw.items()]


def _basic_auth(raw: dict[str, Any]) -> BasicAuth:
    return BasicAuth(username=raw.get("username", ""), password=raw.get("password"))


def _enum_values(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v.value if isinstance(v, Enum) else v for k, v in config.items()}


def _statuses(raw: list[int | str]) -> list[str]:
    return [str(item) for item in raw]


def config_output(kind: TargetKind, config: dict[str, Any]) -> Any:
    """The typed view of a stored (public, secrets masked) config."""
    if kind == TargetKind.HTTP:
        return output_from_dict(
            HttpConfig,
            config,
            headers=_headers,
            basic_auth=_basic_auth,
            expected_status=_statuses,
            method=HttpMethod,
        )
    cls = {
        TargetKind.TCP: TcpConfig,
        TargetKind.DNS: DnsConfig,
        TargetKind.TLS: TlsConfig,
        TargetKind.ICMP: IcmpConfig,
        TargetKind.HEARTBEAT: HeartbeatConfig,
    }[kind]
    if kind == TargetKind.DNS:
        return output_from_dict(DnsConfig, config, record_type=DnsRecordType)
    return output_from_dict(cls, config)
