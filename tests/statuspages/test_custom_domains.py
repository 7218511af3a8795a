"""Custom domains: an admin sets one, proves control with a TXT record (a real DNS server
on 127.0.0.1 answers dnspython), and only then does statusPageByDomain serve the page;
unverified and unknown hosts answer exactly like an unknown slug."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from api.statuspages.models import StatusPage
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.probes.servers import DNSServer
from tests.statuspages.helpers import by_domain, create_page, public, three_targets

RECORDS: dict[tuple[str, str], list[str]] = {}
VERIFY = """mutation($id: ID!) { verifyStatusPageDomain(statusPageId: $id) {
  errors { field code message }
  statusPage { customDomain customDomainVerified
    domainVerification { domain recordName recordValue verified verifiedAt } } } }"""
UPDATE = """mutation($id: ID!, $patch: StatusPagePatch!) {
  updateStatusPage(id: $id, patch: $patch) { errors { field code }
    statusPage { customDomain customDomainVerified domainVerification { recordValue } } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on StatusPage {
  customDomain customDomainVerified domainVerification { recordName recordValue } } } }"""


@pytest_asyncio.fixture
async def dns_server() -> AsyncIterator[DNSServer]:
    RECORDS.clear()
    server = await DNSServer(RECORDS).start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(dns_server: DNSServer) -> dict[str, Any]:
    return {"dns_resolver": f"127.0.0.1:{dns_server.port}"}


async def _page(gql, settings, domain: str = "Status.Acme.test", **overrides):
    owner = await create_account(settings)
    body = await create_page(
        gql, owner, await three_targets(owner), customDomain=domain, **overrides
    )
    assert body["data"]["createStatusPage"]["errors"] == [], body
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    read = await gql(READ, {"id": page_id}, token=owner.token)
    return owner, page_id, read["data"]["node"]


def _publish_txt(name: str, value: str) -> None:
    RECORDS[(name, "TXT")] = [f'"{value}"']


def _without_cost(answer: dict[str, Any]) -> dict[str, Any]:
    answer.pop("extensions", None)
    return answer


async def test_a_verified_domain_serves_the_page_and_an_unverified_one_answers_like_nothing(
    gql, settings, dns_server
) -> None:
    owner, page_id, node = await _page(gql, settings)
    assert node["customDomain"] == "status.acme.test" and node["customDomainVerified"] is False
    assert node["domainVerification"]["recordName"] == "_hitflow-verify.status.acme.test"
    token = node["domainVerification"]["recordValue"]
    unknown = _without_cost(await public(gql, slug="nope"))
    assert unknown == {"data": {"statusPage": None}}

    # Not verified yet: exactly like an unknown slug.
    assert _without_cost(await by_domain(gql, "status.acme.test")) == {
        "data": {"statusPageByDomain": None}
    }
    # No record: refused, nothing served.
    body = await gql(VERIFY, {"id": page_id}, token=owner.token)
    (error,) = body["data"]["verifyStatusPageDomain"]["errors"]
    assert error["code"] == "NOT_VERIFIED" and error["field"] == "customDomain"
    assert "_hitflow-verify.status.acme.test" in error["message"]
    # A record with another value: still refused.
    _publish_txt("_hitflow-verify.status.acme.test", "hitflow-verify-someone-else")
    body = await gql(VERIFY, {"id": page_id}, token=owner.token)
    assert body["data"]["verifyStatusPageDomain"]["errors"][0]["code"] == "NOT_VERIFIED"

    _publish_txt("_hitflow-verify.status.acme.test", token)
    body = await gql(VERIFY, {"id": page_id}, token=owner.token)
    payload = body["data"]["verifyStatusPageDomain"]
    assert payload["errors"] == [] and payload["statusPage"]["customDomainVerified"] is True
    assert payload["statusPage"]["domainVerification"]["verifiedAt"] is not None
    assert dns_server.queries >= 3

    # Matched exactly, case-insensitive, port and trailing dot ignored.
    for host in (
        "status.acme.test",
        "STATUS.Acme.Test",
        "status.acme.test.:443",
        "status.acme.test:8080",
    ):
        page = (await by_domain(gql, host))["data"]["statusPageByDomain"]
        assert page is not None and page["title"] == "Acme status", host
    for host in (
        "acme.test",
        "x.status.acme.test",
        "status.acme.test.evil",
        "[::1]:80",
        "",
        "a:b:c",
    ):
        assert _without_cost(await by_domain(gql, host)) == {"data": {"statusPageByDomain": None}}


async def test_changing_the_domain_resets_verification(gql, settings) -> None:
    owner, page_id, node = await _page(gql, settings)
    _publish_txt("_hitflow-verify.status.acme.test", node["domainVerification"]["recordValue"])
    await gql(VERIFY, {"id": page_id}, token=owner.token)
    assert (await by_domain(gql, "status.acme.test"))["data"]["statusPageByDomain"] is not None

    body = await gql(
        UPDATE, {"id": page_id, "patch": {"customDomain": "health.acme.test"}}, token=owner.token
    )
    changed = body["data"]["updateStatusPage"]["statusPage"]
    assert (
        changed["customDomain"] == "health.acme.test" and changed["customDomainVerified"] is False
    )
    assert changed["domainVerification"]["recordValue"] != node["domainVerification"]["recordValue"]
    assert (await by_domain(gql, "status.acme.test"))["data"]["statusPageByDomain"] is None
    assert (await by_domain(gql, "health.acme.test"))["data"]["statusPageByDomain"] is None

    body = await gql(UPDATE, {"id": page_id, "patch": {"customDomain": ""}}, token=owner.token)
    assert body["data"]["updateStatusPage"]["statusPage"]["customDomain"] is None
    row = await StatusPage.get()
    assert row.verified_domain is None and row.domain_token is None


async def test_a_domain_verified_by_one_page_is_refused_to_another(gql, settings) -> None:
    owner, page_id, node = await _page(gql, settings)
    other = await create_account(settings)
    body = await create_page(
        gql, other, await three_targets(other), slug="squatter", customDomain="status.acme.test"
    )
    assert body["data"]["createStatusPage"]["errors"] == []  # an unverified claim blocks nobody
    squatter_id = body["data"]["createStatusPage"]["statusPage"]["id"]

    _publish_txt("_hitflow-verify.status.acme.test", node["domainVerification"]["recordValue"])
    assert (await gql(VERIFY, {"id": page_id}, token=owner.token))["data"][
        "verifyStatusPageDomain"
    ]["errors"] == []

    # The other page cannot verify it (its token is not in the record) nor set it anew.
    body = await gql(VERIFY, {"id": squatter_id}, token=other.token)
    assert body["data"]["verifyStatusPageDomain"]["errors"][0]["code"] == "NOT_VERIFIED"
    body = await create_page(
        gql, other, await three_targets(other), slug="third", customDomain="status.acme.test"
    )
    (error,) = body["data"]["createStatusPage"]["errors"]
    assert error == {"field": "customDomain", "code": "ALREADY_EXISTS", "message": error["message"]}
    page = (await by_domain(gql, "status.acme.test"))["data"]["statusPageByDomain"]
    assert page["title"] == "Acme status"


async def test_bad_domains_are_refused(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    for bad in (
        "localhost",
        "127.0.0.1",
        "-bad.example.test",
        "a..b",
        "x" * 64 + ".test",
        "http://x.test/",
        "a b.test",
    ):
        body = await create_page(gql, owner, targets, customDomain=bad)
        (error,) = body["data"]["createStatusPage"]["errors"]
        assert (error["field"], error["code"]) == ("customDomain", "INVALID"), bad
    assert await StatusPage.all().count() == 0


async def test_only_admins_see_the_token_and_verify_strangers_get_not_found(gql, settings) -> None:
    owner, page_id, _ = await _page(gql, settings)
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    seen = (await gql(READ, {"id": page_id}, token=member.token))["data"]["node"]
    assert seen["customDomain"] == "status.acme.test" and seen["domainVerification"] is None
    body = await gql(VERIFY, {"id": page_id}, token=member.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    stranger = await create_account(settings)
    body = await gql(VERIFY, {"id": page_id}, token=stranger.token)
    assert body["data"]["verifyStatusPageDomain"]["errors"][0]["code"] == "NOT_FOUND"

    read_only = await create_pat(owner.user, ["targets:read"])
    body = await gql(VERIFY, {"id": page_id}, token=read_only)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await StatusPage.get()).verified_domain is None


async def test_a_password_page_at_its_domain_needs_the_password(gql, settings) -> None:
    owner, page_id, node = await _page(gql, settings, visibility="PASSWORD", password="open sesame")
    _publish_txt("_hitflow-verify.status.acme.test", node["domainVerification"]["recordValue"])
    await gql(VERIFY, {"id": page_id}, token=owner.token)
    assert (await by_domain(gql, "status.acme.test"))["data"]["statusPageByDomain"] is None
    assert (await by_domain(gql, "status.acme.test", "wrong one"))["data"][
        "statusPageByDomain"
    ] is None
    page = (await by_domain(gql, "status.acme.test", "open sesame"))["data"]["statusPageByDomain"]
    assert page["title"] == "Acme status"
