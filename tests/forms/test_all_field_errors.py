"""A mutation answers every field error of its input at once, each naming its field, and
stores nothing: createTarget, updateTarget, createAlertChannel, signUp."""

from __future__ import annotations

from prometheus_client import generate_latest

from api.accounts.models import User
from api.metrics.own import REGISTRY
from api.notifications.models import AlertChannel
from api.targets.models import Target
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.metrics.test_own_metrics import value
from tests.targets.helpers import CREATE, UPDATE, gid, http_input

CHANNEL = (
    "mutation($input: AlertChannelInput!) { createAlertChannel(input: $input) {"
    " alertChannel { id } errors { field code message } } }"
)
SIGN_UP = """mutation($email: String!, $password: String!, $name: String) {
  signUp(email: $email, password: $password, displayName: $name) { errors { field code } }
}"""


def fields(errors: list[dict[str, str]]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in errors}


async def test_create_target_reports_every_bad_field(gql, settings):
    account = await create_account(settings)
    bad = http_input(
        account.workspace_gid,
        name="   ",
        timeoutSeconds=0,
        regions=["mars-north"],
        config={"url": "ftp://example.test/", "method": "BREW", "colour": "red"},
    )
    before = generate_latest(REGISTRY).decode()
    result = await gql(CREATE, {"input": bad}, token=account.token)
    after = generate_latest(REGISTRY).decode()
    payload = result["data"]["createTarget"]
    assert payload["target"] is None
    assert fields(payload["errors"]) == {
        "name": "INVALID",
        "timeoutSeconds": "INVALID",
        "regions": "INVALID",
        "config.url": "INVALID",
        "config.method": "INVALID",
        "config.colour": "INVALID",
    }
    assert all(e["message"] for e in payload["errors"])
    assert await Target.filter(workspace_id=account.workspace.id).count() == 0
    # Operators see them in Hitflow's own metrics, by mutation and code.
    labels = {"mutation": "createTarget", "code": "INVALID"}
    name = "hitflow_mutation_errors_total"
    assert value(after, name, **labels) - value(before, name, **labels) == 6


async def test_one_bad_field_is_one_error_as_before(gql, settings):
    account = await create_account(settings)
    bad = http_input(account.workspace_gid, name="")
    payload = (await gql(CREATE, {"input": bad}, token=account.token))["data"]["createTarget"]
    assert payload["errors"] == [
        {"field": "name", "code": "INVALID", "message": "The name must not be empty."}
    ]


async def test_update_target_reports_every_bad_field_and_changes_nothing(gql, settings):
    account = await create_account(settings)
    target = await create_target(account.workspace, name="Before", interval=60)
    patch = {"name": "", "intervalSeconds": 10**6, "timeoutSeconds": -1, "config": {"url": "x"}}
    result = await gql(UPDATE, {"id": gid(target), "input": patch}, token=account.token)
    payload = result["data"]["updateTarget"]
    assert payload["target"] is None
    assert fields(payload["errors"]) == {
        "name": "INVALID",
        "intervalSeconds": "INVALID",
        "timeoutSeconds": "INVALID",
        "config.url": "INVALID",
    }
    stored = await Target.get(id=target.id)
    assert (stored.name, stored.interval_seconds) == ("Before", 60)


async def test_create_alert_channel_reports_the_name_and_every_config_key(gql, settings):
    account = await create_account(settings)
    variables = {
        "input": {
            "workspaceId": account.workspace_gid,
            "name": "",
            "kind": "SMS",
            "config": {"accountSid": "nope", "from": "+15550100", "to": "call me"},
        }
    }
    result = await gql(CHANNEL, variables, token=account.token)
    payload = result["data"]["createAlertChannel"]
    assert payload["alertChannel"] is None
    assert fields(payload["errors"]) == {
        "name": "INVALID",
        "config.accountSid": "INVALID",
        "config.to": "INVALID",
        "config.authToken": "INVALID",  # required, and missing
    }
    assert await AlertChannel.filter(workspace_id=account.workspace.id).count() == 0


async def test_sign_up_reports_email_password_and_display_name_together(gql):
    variables = {"email": "not an address", "password": "short", "name": "a\x07b"}
    result = await gql(SIGN_UP, variables)
    assert fields(result["data"]["signUp"]["errors"]) == {
        "email": "INVALID",
        "password": "INVALID",
        "displayName": "INVALID",
    }
    assert await User.all().count() == 0


async def test_a_foreign_workspace_is_still_not_found_alone(gql, settings):
    owner, stranger = await create_account(settings), await create_account(settings)
    bad = http_input(owner.workspace_gid, name="")
    payload = (await gql(CREATE, {"input": bad}, token=stranger.token))["data"]["createTarget"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("workspaceId", "NOT_FOUND")]
