"""Secrets in a target config: encrypted at rest, masked in answers, kept on update."""

from __future__ import annotations

from tortoise import connections

from api.core.ids import decode
from api.targets.models import Target
from api.targets.secrets import decrypt_secrets, merge_secrets
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, GET, UPDATE, http_input

PASSWORD = "s3cret-pa55word"
API_KEY = "key-0123456789abcdef"
CONFIG = {
    "url": "https://api.example.test/health",
    "headers": {"X-Api-Key": API_KEY, "Accept": "application/json"},
    "secretHeaders": ["X-Api-Key"],
    "basicAuth": {"username": "monitor", "password": PASSWORD},
}


async def _create(gql, owner) -> str:
    result = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=CONFIG)}, token=owner.token
    )
    assert result["data"]["createTarget"]["errors"] == []
    return result["data"]["createTarget"]["target"]["id"]


async def test_secrets_are_masked_in_every_answer(gql, settings, capsys) -> None:
    owner = await create_account(settings)
    result = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=CONFIG)}, token=owner.token
    )
    config = result["data"]["createTarget"]["target"]["config"]
    assert config["basicAuth"] == {"username": "monitor", "password": "********"}
    assert config["headers"] == {"X-Api-Key": "********", "Accept": "application/json"}
    read = await gql(GET, {"id": result["data"]["createTarget"]["target"]["id"]}, token=owner.token)
    assert read["data"]["target"]["config"] == config
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err
    assert API_KEY not in out.out + out.err


async def test_secrets_are_encrypted_in_the_database(gql, settings, resources) -> None:
    owner = await create_account(settings)
    target_id = decode(await _create(gql, owner), "Target")
    rows = await connections.get("default").execute_query_dict(
        "SELECT * FROM targets WHERE id = " + str(target_id)
    )
    raw = " ".join(str(v) for v in rows[0].values())
    assert PASSWORD not in raw
    assert API_KEY not in raw
    assert rows[0]["secrets_encrypted"]
    secrets = decrypt_secrets(resources.keyring, rows[0]["secrets_encrypted"])
    assert secrets == {"basicAuthPassword": PASSWORD, "secretHeaders": {"X-Api-Key": API_KEY}}


async def test_update_without_the_secrets_keeps_them(gql, settings, resources) -> None:
    owner = await create_account(settings)
    target_id = await _create(gql, owner)
    # The client sends back what it read (placeholders), changing only the URL...
    new = {**CONFIG, "url": "https://api.example.test/v2"}
    new["basicAuth"] = {"username": "monitor", "password": "********"}
    new["headers"] = {"X-Api-Key": "********", "Accept": "text/plain"}
    result = await gql(UPDATE, {"id": target_id, "input": {"config": new}}, token=owner.token)
    assert result["data"]["updateTarget"]["errors"] == []
    row = await Target.get()
    full = merge_secrets(row.config, decrypt_secrets(resources.keyring, row.secrets_encrypted))
    assert full["basicAuth"]["password"] == PASSWORD
    assert full["headers"] == {"X-Api-Key": API_KEY, "Accept": "text/plain"}
    # ...or leaves the secrets out altogether.
    lean = {
        "url": "https://api.example.test/v3",
        "basicAuth": {"username": "monitor"},
        "headers": {"Accept": "text/plain"},
        "secretHeaders": ["X-Api-Key"],
    }
    result = await gql(UPDATE, {"id": target_id, "input": {"config": lean}}, token=owner.token)
    assert result["data"]["updateTarget"]["errors"] == []
    row = await Target.get()
    full = merge_secrets(row.config, decrypt_secrets(resources.keyring, row.secrets_encrypted))
    assert full["basicAuth"]["password"] == PASSWORD
    assert full["headers"]["X-Api-Key"] == API_KEY
    # Updating other fields never touches the secrets.
    await gql(UPDATE, {"id": target_id, "input": {"name": "renamed"}}, token=owner.token)
    row = await Target.get()
    assert (
        decrypt_secrets(resources.keyring, row.secrets_encrypted)["basicAuthPassword"] == PASSWORD
    )


async def test_a_new_secret_replaces_the_old_one(gql, settings, resources) -> None:
    owner = await create_account(settings)
    target_id = await _create(gql, owner)
    new = {**CONFIG, "basicAuth": {"username": "monitor", "password": "brand-new"}}
    await gql(UPDATE, {"id": target_id, "input": {"config": new}}, token=owner.token)
    row = await Target.get()
    assert (
        decrypt_secrets(resources.keyring, row.secrets_encrypted)["basicAuthPassword"]
        == "brand-new"
    )
    # Dropping basic auth and the secret header drops the secrets.
    plain = {"url": "https://api.example.test/health"}
    await gql(UPDATE, {"id": target_id, "input": {"config": plain}}, token=owner.token)
    row = await Target.get()
    assert row.secrets_encrypted is None


async def test_placeholder_without_a_stored_secret_is_invalid(gql, settings) -> None:
    owner = await create_account(settings)
    config = {"url": "https://e.test/", "basicAuth": {"username": "u", "password": "********"}}
    result = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=config)}, token=owner.token
    )
    assert result["data"]["createTarget"]["errors"][0]["field"] == "config.basicAuth.password"
