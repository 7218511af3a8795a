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


def _compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # type: ignore[no-any-return]  # yaml is untyped


def test_image_pg_client_matches_the_compose_database() -> None:
    """`hitflow backup` runs pg_dump: a client older than the server refuses to dump."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]
    client = re.search(r"postgresql-client-(\d+)", runtime)
    assert client, "the runtime image installs no PostgreSQL client (pg_dump)"
    image = _compose()["services"]["postgres"]["image"]
    server = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", image)
    assert server, f"compose's database image {image!r} names no major version"
    assert client.group(1) == server.group(1)
    # The base image is pinned to a Debian release that ships that client.
    assert re.search(r"^FROM python:3\.\d+-slim-bookworm AS runtime", dockerfile, flags=re.M)


def test_pg_client_version_in_the_built_image_when_docker_is_available() -> None:
    import shutil
    import subprocess

    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        pytest.skip("no Docker engine here: the static check above stands in")
    built = subprocess.run(
        [docker, "run", "--rm", "--entrypoint", "pg_dump", "hitflow:latest", "--version"],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip("image hitflow:latest not built (docker compose build)")
    server = _compose()["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert f" {server}." in built.stdout


def test_compose_keeps_backups_on_a_volume_and_catches_mail_for_trying() -> None:
    compose = _compose()
    worker = compose["services"]["worker"]
    backup_dir = worker["environment"]["HITFLOW_BACKUP_DIR"]
    assert any(v.endswith(f":{backup_dir}") for v in worker["volumes"])
    assert "backups" in compose["volumes"]
    smtp = worker["environment"]["HITFLOW_SMTP_URL"]
    assert "mailpit:1025" in smtp and smtp.startswith("${HITFLOW_SMTP_URL:-")
    assert "mailpit" in compose["services"]
