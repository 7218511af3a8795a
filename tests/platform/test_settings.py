"""Settings come only from HITFLOW_* variables; a bad one stops the start and is named."""

from __future__ import annotations

import os
import stat

import pytest

from api.settings import SettingsError, load_settings
from tests.conftest import TEST_KEY


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith("HITFLOW_") and not name.startswith("HITFLOW_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HITFLOW_DATA_DIR", str(tmp_path / "var"))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HITFLOW_MIN_INTERVAL_SECONDS", "abc"),
        ("HITFLOW_MIN_INTERVAL_SECONDS", "0"),
        ("HITFLOW_ENV", "staging"),
        ("HITFLOW_DATABASE_URL", "mysql://db/hitflow"),
        ("HITFLOW_REDIS_URL", "http://localhost:6379"),
        ("HITFLOW_PUBLIC_URL", "ftp://example.com"),
        ("HITFLOW_APP_URL", "not a url"),
        ("HITFLOW_SMTP_URL", "http://mail.example.com"),
        ("HITFLOW_REGIONS", "eu-west,mars-north"),
        ("HITFLOW_SECRET_KEYS", "too-short"),
        ("HITFLOW_CORS_ORIGINS", "https://app.example.com/path"),
        ("HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS", "maybe"),
        ("HITFLOW_MAX_BODY_BYTES", "10"),
        ("HITFLOW_GRAPHQL_MAX_DEPTH", "lots"),
        ("HITFLOW_LOG_LEVEL", "chatty"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)


def test_defaults_match_the_documented_ones(tmp_path) -> None:
    settings = load_settings()
    assert settings.env == "development"
    assert settings.redis_url is None
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.effective_app_url == settings.public_url
    assert settings.min_interval_seconds == 30
    assert settings.probe_allow_private_networks is True  # development: local sites work
    assert settings.effective_database_url == (
        f"sqlite://{(tmp_path / 'var' / 'hitflow.sqlite3').resolve()}"
    )


@pytest.mark.parametrize(
    ("env", "value", "allowed"),
    [
        ("development", None, True),
        ("production", None, False),
        ("production", "true", True),
        ("development", "false", False),
        ("development", "", True),  # empty means unset
    ],
)
def test_private_networks_are_allowed_by_default_only_in_development(
    monkeypatch, env: str, value: str | None, allowed: bool
) -> None:
    monkeypatch.setenv("HITFLOW_ENV", env)
    monkeypatch.setenv("HITFLOW_SECRET_KEYS", TEST_KEY)
    if value is not None:
        monkeypatch.setenv("HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS", value)
    assert load_settings().probe_allow_private_networks is allowed


def test_comma_lists_are_split_and_origins_normalised(monkeypatch) -> None:
    monkeypatch.setenv("HITFLOW_REGIONS", "eu-west, us-east")
    monkeypatch.setenv(
        "HITFLOW_CORS_ORIGINS", "https://app.example.com/, http://localhost:5173,HTTPS://X.io:443"
    )
    settings = load_settings()
    assert settings.regions == ["eu-west", "us-east"]
    # As browsers send them: lowercase, no default port, no trailing slash.
    assert settings.cors_origins == [
        "https://app.example.com",
        "http://localhost:5173",
        "https://x.io",
    ]


def test_empty_optional_values_mean_unset(monkeypatch) -> None:
    # compose files and shells pass unset variables as empty strings.
    for name in ("REDIS_URL", "DATABASE_URL", "APP_URL", "SMTP_URL", "CORS_ORIGINS"):
        monkeypatch.setenv(f"HITFLOW_{name}", "")
    settings = load_settings()
    assert settings.redis_url is None  # embedded Redis
    assert settings.database_url is None  # SQLite in the data dir
    assert settings.effective_app_url == settings.public_url
    assert settings.smtp_url is None and settings.cors_origins == []


def test_production_refuses_to_start_without_secret_keys(monkeypatch) -> None:
    monkeypatch.setenv("HITFLOW_ENV", "production")
    with pytest.raises(SettingsError, match="HITFLOW_SECRET_KEYS"):
        load_settings()
    monkeypatch.setenv("HITFLOW_SECRET_KEYS", TEST_KEY)
    assert load_settings().production


def test_dev_key_is_generated_once_owner_only(tmp_path) -> None:
    settings = load_settings()
    first = settings.key_ring_keys
    key_file = tmp_path / "var" / "secret.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 1 and len(first[0]) == 32
    # A restart reads the same key, so what was encrypted stays readable.
    assert load_settings().key_ring_keys == first


def test_configured_keys_are_used_and_no_file_is_written(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HITFLOW_SECRET_KEYS", TEST_KEY)
    assert len(load_settings().key_ring_keys) == 1
    assert not (tmp_path / "var" / "secret.key").exists()
