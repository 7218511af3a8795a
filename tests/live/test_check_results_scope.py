"""checkResults takes its "exactly one of" as a @oneOf input (`scope`); the old targetId /
workspaceId arguments still work for one release, deprecated."""

from __future__ import annotations

from api.core.ids import encode
from api.schema import schema
from tests.factories.accounts import create_account, create_pat
from tests.factories.targets import create_target
from tests.live.helpers import publish_result, subscribed, wait_subscribers
from tests.live.test_access import refusal

SCOPED = "subscription($s: CheckResultsScope) { checkResults(scope: $s) { id target { id } } }"


async def test_a_target_scope_streams_that_targets_results_only(live, resources, settings):
    account = await create_account(settings)
    watched = await create_target(account.workspace, name="watched")
    other = await create_target(account.workspace, name="other")
    variables = {"s": {"targetId": encode("Target", watched.id)}}
    async with subscribed(live.url, account.token, SCOPED, variables) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        await publish_result(resources, other)
        await publish_result(resources, watched)
        (result,) = await sub.wait_results(1)
    assert result["checkResults"]["target"]["id"] == encode("Target", watched.id)


async def test_a_workspace_scope_streams_every_target(live, resources, settings):
    account = await create_account(settings)
    a = await create_target(account.workspace, name="a")
    b = await create_target(account.workspace, name="b")
    async with subscribed(
        live.url, account.token, SCOPED, {"s": {"workspaceId": account.workspace_gid}}
    ) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        await publish_result(resources, a)
        await publish_result(resources, b)
        results = await sub.wait_results(2)
    assert {r["checkResults"]["target"]["id"] for r in results} == {
        encode("Target", a.id),
        encode("Target", b.id),
    }


async def test_both_or_neither_in_the_scope_is_refused_by_the_schema(live, settings):
    account = await create_account(settings)
    both = {"targetId": encode("Target", 1), "workspaceId": account.workspace_gid}
    error = await refusal(live, account.token, SCOPED, {"s": both})
    assert "exactly one key" in error["message"]
    error = await refusal(live, account.token, SCOPED, {"s": {}})
    assert "exactly one key" in error["message"]


async def test_scope_with_an_old_argument_or_nothing_at_all_is_invalid(live, settings):
    account = await create_account(settings)
    mixed = (
        "subscription($s: CheckResultsScope, $w: ID) "
        "{ checkResults(scope: $s, workspaceId: $w) { id } }"
    )
    variables = {"s": {"workspaceId": account.workspace_gid}, "w": account.workspace_gid}
    error = await refusal(live, account.token, mixed, variables)
    assert error["extensions"] == {"code": "INVALID", "field": "scope"}
    error = await refusal(live, account.token, "subscription { checkResults { id } }", {})
    assert error["extensions"] == {"code": "INVALID", "field": "scope"}


async def test_scope_keeps_tenancy_and_the_scope_check(live, settings):
    owner, stranger = await create_account(settings), await create_account(settings)
    target = await create_target(owner.workspace)
    error = await refusal(
        live, stranger.token, SCOPED, {"s": {"targetId": encode("Target", target.id)}}
    )
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "targetId"}
    error = await refusal(live, stranger.token, SCOPED, {"s": {"workspaceId": owner.workspace_gid}})
    assert error["extensions"]["code"] == "NOT_FOUND"
    pat = await create_pat(owner.user, ["targets:read"])
    error = await refusal(live, pat, SCOPED, {"s": {"workspaceId": owner.workspace_gid}})
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "results:read"}


def test_the_old_arguments_are_deprecated_naming_the_replacement():
    field = schema._schema.subscription_type.fields["checkResults"]
    for name in ("targetId", "workspaceId"):
        reason = field.args[name].deprecation_reason
        assert reason is not None and f"scope: {{{name}" in reason
    assert field.args["scope"].deprecation_reason is None
