"""Credential fields need the WRITE scope, not only the role (issue 11, point 2).

A field whose value lets its holder act (a heartbeat URL marks a target UP or DOWN; a
client secret, a token or a download link authenticate) is a credential. The schema walk
below lists every field whose name looks like one; a new such field fails the walk until
it is classified here, with a test of the rule that guards it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from graphql import GraphQLObjectType

from api.core import clock
from api.core.ids import encode
from api.core.tokens import OAUTH_ACCESS_PREFIX, hash_token, new_token
from api.notifications.models import AlertChannel, ChannelKind
from api.oauth.models import OAuthClient, OAuthToken
from api.privacy.models import DataExport
from api.schema import schema
from api.targets.models import Target
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.channels import create_channel
from tests.oauth.helpers import register_client
from tests.targets.helpers import CREATE, GET, UPDATE, http_input

LOOKS_LIKE_A_CREDENTIAL = re.compile(r"(?i)(secret|token|passw|url|uri|key|link|signature|hash)")

# type.field -> the rule that guards it (each rule has a test below).
CREDENTIALS = {
    "Target.heartbeatUrl": "writer role AND targets:write (PAT, OAuth, session)",
    "DataExport.downloadUrl": "the account holder's session only",
    "ExportSlaReportPayload.url": "session with results:read (tests/results/test_sla_report_access)",
    "OAuthClientPayload.clientSecret": "session only (createOAuthClient, rotateOAuthClientSecret)",
    "TokenPayload.token": "session only (createPersonalAccessToken)",
    "OAuthAuthorizationPayload.redirectUrl": "session only (it carries the authorization code)",
    "AuthPayload.token": "only in answer to the password (logIn, signUp, resetPassword)",
    "AuthPayload.mfaToken": "only in answer to the password (logIn), single use, 5 minutes",
    "TotpEnrollmentPayload.secret": "session only (startTotpEnrollment)",
    "TotpEnrollmentPayload.uri": "session only (startTotpEnrollment): it holds the secret",
    # Badge token and URLs: shown once, to writers with targets:write (tests/badges).
    **{
        f"BadgeTokenPayload.{name}": "writer role AND targets:write (rotateBadgeToken)"
        for name in ("token", "statusUrl", "uptimeUrl", "responseUrl", "shieldsUrl")
    },
    # Checkout and customer-portal links: OWNER + billing:write only (tests/billing).
    "RedirectPayload.redirectUrl": "OWNER with billing:write (startCheckout, openBillingPortal)",
    "BillingPayload.redirectUrl": "OWNER with billing:write (changePlan: PayPal's approval link)",
    # Signing key of a status page webhook: shown once, to admins with targets:write
    # (tests/statuspages/test_webhook_subscribers.py).
    "StatusPageWebhookPayload.secret": "ADMIN/OWNER with targets:write (addStatusPageWebhook)",
}
# Named like credentials, but not one (public, or an identifier only).
NOT_CREDENTIALS = {
    "OAuthAuthorizationRequest.redirectUri": "where the answer goes; shown on the consent page",
    "OAuthClient.redirectUris": "public client metadata (admins of the workspace only)",
    "PrivacyPolicy.url": "a public page",
    "Invoice.url": "the provider's hosted invoice page; OWNERs and ADMINs only",
    "StatusPage.logoUrl": "an image shown on the public status page",
    "PublicStatusPage.logoUrl": "an image shown on the public status page",
    "Viewer.personalAccessTokens": "metadata; the token itself is never shown again",
}
# Typed configs: a secret reads ********, a secret URL scheme://host/******** (tested in
# tests/targets/test_typed_config.py and tests/alerting/test_channel_typed_config.py);
# the rest (target URL, keyword) is the target's public configuration.
MASKED_CONFIG = (
    "BasicAuth.password HttpConfig.url HttpConfig.keyword HttpConfig.keywordAbsent"
    " HttpConfig.secretHeaders WebhookChannelConfig.url WebhookChannelConfig.secret"
    " SlackChannelConfig.webhookUrl DiscordChannelConfig.webhookUrl TeamsChannelConfig.webhookUrl"
    " TelegramChannelConfig.botToken PagerDutyChannelConfig.routingKey OpsgenieChannelConfig.apiKey"
    " SmsChannelConfig.authToken NtfyChannelConfig.topicUrl NtfyChannelConfig.token"
    " PushoverChannelConfig.appToken PushoverChannelConfig.userKey"
).split()
NOT_CREDENTIALS.update({name: "a masked or public configuration value" for name in MASKED_CONFIG})


def _suspicious_fields() -> set[str]:
    found = set()
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in ("Query", "Mutation", "Subscription"):
            continue
        if isinstance(graphql_type, GraphQLObjectType):
            for field in graphql_type.fields:
                if LOOKS_LIKE_A_CREDENTIAL.search(field):
                    found.add(f"{name}.{field}")
    return found


def test_every_credential_looking_field_is_classified() -> None:
    found = _suspicious_fields()
    unclassified = found - set(CREDENTIALS) - set(NOT_CREDENTIALS)
    assert not unclassified, f"classify these fields (and test their rule): {unclassified}"
    assert set(CREDENTIALS) <= found, "a listed credential field left the schema"


async def _heartbeat(gql, owner) -> dict:
    data = http_input(
        owner.workspace_gid, kind="HEARTBEAT", config={"graceSeconds": 30}, intervalSeconds=3600
    )
    result = await gql(CREATE, {"input": data}, token=owner.token)
    assert result["data"]["createTarget"]["errors"] == []
    return result["data"]["createTarget"]["target"]


async def _oauth_user_token(gql, account, scopes: list[str]) -> str:
    """An access token the account granted to an app (authorization_code), stored as the
    token endpoint stores it."""
    registered = await register_client(
        gql, account, scopes=["targets:read", "targets:write", "results:read"]
    )
    client = await OAuthClient.get(client_id=registered["client"]["clientId"])
    token = new_token(OAUTH_ACCESS_PREFIX)
    now = clock.now()
    await OAuthToken.create(
        client=client,
        user=account.user,
        family_id=new_token("fam")[:32],
        grant_type="authorization_code",
        access_token_hash=hash_token(token),
        scopes=scopes,
        issued_at=now,
        expires_at=now + timedelta(hours=1),
    )
    return token


async def test_heartbeat_url_needs_targets_write(gql, settings) -> None:
    owner = await create_account(settings)
    target = await _heartbeat(gql, owner)
    url = target["heartbeatUrl"]
    assert url

    async def seen(token: str) -> str | None:
        result = await gql(GET, {"id": target["id"]}, token=token)
        return result["data"]["target"]["heartbeatUrl"]  # type: ignore[no-any-return]

    # The OWNER's read-only tokens (PAT and OAuth) get no write credential...
    assert await seen(await create_pat(owner.user, ["targets:read"])) is None
    assert await seen(await _oauth_user_token(gql, owner, ["targets:read"])) is None
    # ...tokens that may change the target do.
    rw = ["targets:read", "targets:write"]
    assert await seen(await create_pat(owner.user, rw)) == url
    assert await seen(await _oauth_user_token(gql, owner, rw)) == url
    # The role still counts: a VIEWER's read-write token gets nothing.
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    assert await seen(await create_pat(viewer.user, rw)) is None
    assert await seen(viewer.token) is None


async def test_client_secret_token_and_consent_need_a_session(gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True)
    pat = await create_pat(owner.user, ["account:read", "account:write", "targets:write"])
    rotate = "mutation($id: ID!) { rotateOAuthClientSecret(id: $id) { clientSecret } }"
    mint = 'mutation { createPersonalAccessToken(name: "x", scopes: ["targets:read"]) { token } }'
    approve = 'mutation { approveOAuthAuthorization(id: "nope") { redirectUrl } }'
    totp = "mutation { startTotpEnrollment { secret uri } }"
    for document, variables in (
        (rotate, {"id": registered["client"]["id"]}),
        (mint, {}),
        (approve, {}),
        (totp, {}),
    ):
        result = await gql(document, variables, token=pat)
        assert result["data"] is None, result
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_download_link_goes_to_the_session_only(gql, resources, settings) -> None:
    account = await create_account(settings)
    now = clock.now()
    await DataExport.create(
        user_id=account.user.id,
        status="READY",
        requested_at=now,
        ready_at=now,
        expires_at=now + timedelta(days=1),
        token_hash=hash_token("hf_export_test"),
        token_encrypted=resources.keyring.encrypt("hf_export_test"),
    )
    query = "{ dataExports { status downloadUrl } }"
    by_session = await gql(query, token=account.token)
    assert by_session["data"]["dataExports"][0]["downloadUrl"].endswith("/exports/hf_export_test")
    pat = await create_pat(account.user, ["account:read", "account:write"])
    by_token = await gql(query, token=pat)
    assert by_token["data"]["dataExports"] == [{"status": "READY", "downloadUrl": None}]


async def test_log_in_gives_a_token_only_for_the_password(gql, settings) -> None:
    account = await create_account(settings)
    log_in = """mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) {
      token errors { code } } }"""
    wrong = await gql(log_in, {"e": account.user.email, "p": "not the password at all"})
    assert wrong["data"]["logIn"]["token"] is None


@pytest.mark.parametrize("with_read", [False, True])
async def test_write_only_token_does_not_read_the_target_back(gql, settings, with_read) -> None:
    # A targets:write-only token changes targets; it never reads one back (not even
    # through a no-op update). With targets:read too, the payload carries the target.
    owner = await create_account(settings)
    target = await _heartbeat(gql, owner)
    scopes = ["targets:write", "targets:read"] if with_read else ["targets:write"]
    pat = await create_pat(owner.user, scopes)

    noop = await gql(UPDATE, {"id": target["id"], "input": {}}, token=pat)
    payload = noop["data"]["updateTarget"]
    assert payload["errors"] == []
    if with_read:
        assert payload["target"]["heartbeatUrl"] == target["heartbeatUrl"]
    else:
        assert payload["target"] is None
        assert "errors" not in noop
        assert target["heartbeatUrl"] not in str(noop)

    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=pat)
    assert created["data"]["createTarget"]["errors"] == []
    assert (created["data"]["createTarget"]["target"] is not None) is with_read
    assert await Target.filter(workspace_id=owner.workspace.id).count() == 2


@pytest.mark.parametrize("with_read", [False, True])
async def test_write_only_alert_token_does_not_read_channels_back(
    gql, resources, settings, with_read
) -> None:
    owner = await create_account(settings)
    channel = await create_channel(
        resources, owner, ChannelKind.EMAIL, {"address": "ops@example.test"}
    )
    scopes = ["alerts:write", "alerts:read"] if with_read else ["alerts:write"]
    pat = await create_pat(owner.user, scopes)
    rename = """mutation($id: ID!) { updateAlertChannel(id: $id, input: {name: "Night shift"}) {
      alertChannel { name config } errors { code } } }"""
    result = await gql(rename, {"id": encode("AlertChannel", channel.id)}, token=pat)
    payload = result["data"]["updateAlertChannel"]
    assert payload["errors"] == []
    assert (payload["alertChannel"] is not None) is with_read
    assert (await AlertChannel.get(id=channel.id)).name == "Night shift"
