"""Admins and owners create, change and delete status pages; nobody else can."""

from __future__ import annotations

import asyncio

from api.core.ids import encode
from api.statuspages.models import StatusPage, StatusPageComponent
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target
from tests.statuspages.helpers import create_page, gid, three_targets

UPDATE = """
mutation($id: ID!, $patch: StatusPagePatch!) {
  updateStatusPage(id: $id, patch: $patch) {
    errors { field code }
    statusPage { slug title logoUrl visibility components { name targetIds } }
  }
}"""
DELETE = """
mutation($id: ID!) { deleteStatusPage(id: $id) { errors { field code } deletedId } }"""


async def test_owner_builds_a_page_from_three_targets(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets, regions=["eu-west"])
    assert "errors" not in body, body
    payload = body["data"]["createStatusPage"]
    assert payload["errors"] == []
    page = payload["statusPage"]
    assert page["slug"] == "acme" and page["visibility"] == "PUBLIC"
    assert page["regions"] == ["eu-west"]
    (component,) = page["components"]
    assert component["targetIds"] == [gid(t) for t in targets]
    assert await StatusPage.filter(slug="acme", workspace_id=owner.workspace.id).count() == 1


async def test_bad_input_is_refused_and_nothing_is_written(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    cases = [
        ({"slug": "Not A Slug"}, "slug", "INVALID"),
        ({"slug": "-edge"}, "slug", "INVALID"),
        ({"slug": "acme\n"}, "slug", "INVALID"),
        ({"logoUrl": "http://cdn.acme.test/logo.png"}, "logoUrl", "INVALID"),
        ({"logoUrl": "javascript:alert(1)"}, "logoUrl", "INVALID"),
        ({"logoUrl": "https://cdn.acme.test/\x07.png"}, "logoUrl", "INVALID"),
        ({"title": "Acme\x07"}, "title", "INVALID"),  # NUL: 400 at the edge
        ({"title": "  "}, "title", "INVALID"),
        ({"components": [{"name": "Empty", "targetIds": []}]}, "targetIds", "INVALID"),
        ({"components": [{"name": "X", "targetIds": ["garbage"]}]}, "targetIds", "NOT_FOUND"),
        ({"visibility": "PASSWORD"}, "password", "INVALID"),
        ({"visibility": "PASSWORD", "password": "short"}, "password", "INVALID"),
        ({"regions": ["mars-1"]}, "regions", "INVALID"),
    ]
    for overrides, field, code in cases:
        body = await create_page(gql, owner, targets, **overrides)
        errors = body["data"]["createStatusPage"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], overrides
    assert await StatusPage.all().count() == 0
    assert await StatusPageComponent.all().count() == 0


async def test_slugs_are_unique_across_workspaces(gql, settings) -> None:
    first, second = await create_account(settings), await create_account(settings)
    assert (await create_page(gql, first, await three_targets(first)))["data"]["createStatusPage"][
        "errors"
    ] == []
    body = await create_page(gql, second, await three_targets(second))
    assert body["data"]["createStatusPage"]["errors"][0]["code"] == "ALREADY_EXISTS"
    assert await StatusPage.all().count() == 1


async def test_another_workspaces_target_is_not_found(gql, settings) -> None:
    owner, stranger = await create_account(settings), await create_account(settings)
    theirs = await create_target(stranger.workspace, name="their db")
    mine = await three_targets(owner)
    body = await create_page(gql, owner, [*mine, theirs])
    (error,) = body["data"]["createStatusPage"]["errors"]
    assert (error["field"], error["code"]) == ("targetIds", "NOT_FOUND")
    assert await StatusPage.all().count() == 0


async def test_viewers_and_members_cannot_create_and_strangers_see_not_found(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    for role in (Role.VIEWER, Role.MEMBER):
        other = await create_account(settings)
        await add_member(owner.workspace, other.user, role)
        body = await create_page(
            gql, other, targets, workspaceId=owner.workspace_gid, slug=f"x-{role.value.lower()}"
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    stranger = await create_account(settings)
    body = await create_page(gql, stranger, targets, workspaceId=owner.workspace_gid)
    assert body["data"]["createStatusPage"]["errors"][0]["code"] == "NOT_FOUND"
    anonymous = await gql('mutation { deleteStatusPage(id: "x") { deletedId } }')
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await StatusPage.all().count() == 0


async def test_a_token_without_targets_write_is_refused(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    owner.token = await create_pat(owner.user, ["targets:read"])
    body = await create_page(gql, owner, targets)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await StatusPage.all().count() == 0


async def test_update_and_delete(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    page_id = (await create_page(gql, owner, targets))["data"]["createStatusPage"]["statusPage"][
        "id"
    ]
    patch = {
        "title": "Acme, live",
        "logoUrl": "",
        "components": [
            {"name": "API", "targetIds": [gid(targets[0])]},
            {"name": "Site", "targetIds": [gid(targets[1]), gid(targets[2])]},
        ],
        "visibility": "PASSWORD",
        "password": "open sesame",
    }
    body = await gql(UPDATE, {"id": page_id, "patch": patch}, token=owner.token)
    result = body["data"]["updateStatusPage"]
    assert result["errors"] == []
    assert result["statusPage"]["title"] == "Acme, live"
    assert result["statusPage"]["logoUrl"] is None
    assert result["statusPage"]["visibility"] == "PASSWORD"
    assert [c["name"] for c in result["statusPage"]["components"]] == ["API", "Site"]
    row = await StatusPage.get(slug="acme")
    assert row.password_hash and row.password_hash.startswith("$argon2id$")
    assert "open sesame" not in row.password_hash

    stranger = await create_account(settings)
    for document, variables in (
        (UPDATE, {"id": page_id, "patch": {"title": "pwned"}}),
        (DELETE, {"id": page_id}),
    ):
        body = await gql(document, variables, token=stranger.token)
        (payload,) = body["data"].values()
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert (await StatusPage.get(slug="acme")).title == "Acme, live"
    theirs = await create_target(stranger.workspace, name="their db")
    foreign = {"components": [{"name": "Theirs", "targetIds": [gid(theirs)]}]}
    body = await gql(UPDATE, {"id": page_id, "patch": foreign}, token=owner.token)
    assert body["data"]["updateStatusPage"]["errors"] == [
        {"field": "targetIds", "code": "NOT_FOUND"}
    ]
    names = await StatusPageComponent.all().order_by("position").values_list("name", flat=True)
    assert names == ["API", "Site"]

    body = await gql(DELETE, {"id": page_id}, token=owner.token)
    assert body["data"]["deleteStatusPage"]["deletedId"] == page_id
    assert await StatusPage.all().count() == 0
    assert await StatusPageComponent.all().count() == 0
    assert page_id == encode("StatusPage", row.id)


async def test_two_concurrent_creates_of_one_slug_make_one_page(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    bodies = await asyncio.gather(*(create_page(gql, owner, targets) for _ in range(2)))
    codes = sorted(
        [e["code"] for e in b["data"]["createStatusPage"]["errors"]] or ["OK"] for b in bodies
    )
    assert codes == [["ALREADY_EXISTS"], ["OK"]]
    assert await StatusPage.all().count() == 1
    assert await StatusPageComponent.all().count() == 1
