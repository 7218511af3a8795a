"""The Dockerfile and compose.yaml (no Docker engine here: checked as files)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.core.regions import REGIONS
from api.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.M | re.I)
    assert stages == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER\s+(?!root|0\b)\w+", runtime, flags=re.M)
    assert "COPY --from=build" in runtime
    cmd = re.search(r"^CMD\s+(\[.*\])$", text, flags=re.M)
    assert cmd and json.loads(cmd.group(1)) == ["hitflow", "api", "--host", "0.0.0.0"]
    health = re.search(r"^HEALTHCHECK[^\n]*\\\n\s*CMD\s+(\[.*\])$", text, flags=re.M)
    assert health and "/healthz" in health.group(1)
    for source in re.findall(r"^COPY\s+(?!--)(\S+)", text, flags=re.M):
        assert (ROOT / source).exists(), f"Dockerfile copies a missing {source}"


def test_compose_runs_every_process_against_postgres_and_redis(monkeypatch) -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"api", "worker", "probe-eu-west", "probe-us-east", "postgres", "redis"} <= set(services)
    commands = {name: svc.get("command") for name, svc in services.items()}
    assert commands["api"][:2] == ["hitflow", "api"]
    assert commands["worker"] == ["hitflow", "worker"]
    for region in ("eu-west", "us-east"):
        assert commands[f"probe-{region}"] == ["hitflow", "probe", "--region", region]
        assert region in REGIONS

    env = services["api"]["environment"]
    assert env["HITFLOW_ENV"] == "production"
    assert env["HITFLOW_DATABASE_URL"].startswith("postgres://")
    assert env["HITFLOW_REDIS_URL"].startswith("redis://redis:")
    fields = {f"HITFLOW_{name.upper()}" for name in Settings.model_fields}
    for name in services["worker"]["environment"]:
        assert name in fields, f"compose.yaml sets an unknown setting {name}"

    # The values compose passes (unset ones as empty strings) make valid settings.
    for name, value in env.items():
        if "${" in str(value):
            value = ""
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("HITFLOW_SECRET_KEYS", "q2F0m1pDm7Qh1i2Wm9Z8s7X6c5V4b3N2m1L0k9J8h7g")
    monkeypatch.setenv("HITFLOW_PUBLIC_URL", "https://api.example.com")
    monkeypatch.setenv("HITFLOW_MAIL_FROM", "Hitflow <noreply@example.com>")
    settings = load_settings()
    assert settings.production and settings.regions == ["eu-west", "us-east"]
    assert settings.app_url is None and settings.smtp_url is None
