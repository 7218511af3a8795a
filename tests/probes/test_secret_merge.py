"""The probe merges a target's secrets back with the targets domain's rule
(api.targets.secrets.merge_secrets), through the probe contract."""

from __future__ import annotations

from api.core.crypto import KeyRing
from api.targets.probe_contract import open_spec_config

PUBLIC = {
    "url": "https://api.example.test/",
    "basicAuth": {"username": "monitor", "password": "********"},
    "headers": {"X-Api-Key": "********", "Accept": "text/plain"},
    "secretHeaders": ["X-Api-Key"],
}


def test_a_secret_header_replaces_its_placeholder_whatever_the_case(keyring: KeyRing) -> None:
    secrets = {"basicAuthPassword": "s3cret", "secretHeaders": {"x-api-key": "k-123"}}
    spec = {"config": PUBLIC, "secrets": keyring.encrypt_json(secrets)}

    config = open_spec_config(spec, keyring)

    # One header, not the placeholder plus a second spelling of the same name.
    assert config["headers"] == {"X-Api-Key": "k-123", "Accept": "text/plain"}
    assert config["basicAuth"] == {"username": "monitor", "password": "s3cret"}
    assert spec["config"]["headers"]["X-Api-Key"] == "********"  # the spec is not changed


def test_a_spec_without_secrets_or_key_ring_keeps_its_config(keyring: KeyRing) -> None:
    assert open_spec_config({"config": PUBLIC, "secrets": None}, keyring) == PUBLIC
    sealed = {"config": PUBLIC, "secrets": keyring.encrypt_json({"basicAuthPassword": "x"})}
    assert open_spec_config(sealed, None) == PUBLIC
