"""Privacy test helpers: an account with a row in (nearly) every table, the deletion
flow as a user drives it, and the operator's commands on the test's database."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import anyio

from api.accounts.models import EmailToken
from api.billing.models import Order
from api.core import clock
from api.core.crypto import KeyRing
from api.incidents.models import AlertEvent, EventKind
from api.maintenance.models import MaintenanceWindow
from api.notifications.models import AlertChannel, ChannelKind, Notification, WorkspaceAlertDefault
from api.oauth.models import (
    OAuthAuthorizationCode,
    OAuthAuthorizationRequest,
    OAuthClient,
    OAuthToken,
)
from api.privacy.models import AuditEvent
from api.targets.models import (
    CheckStatus,
    ResultRollup,
    StateTransition,
    Target,
    TargetDependency,
    TargetGroup,
    TargetRegionState,
    TargetStatus,
)
from api.workspaces.models import Invitation
from tests.factories.accounts import PASSWORD, Account, create_pat
from tests.factories.incidents import create_incident
from tests.factories.results import create_result
from tests.factories.targets import create_target

_seq = itertools.count(1)
SECRET = "s3cr3t-basic-auth-password"


async def monitoring_rows(target: Target, at: datetime, *, tag: str = "") -> dict[str, Any]:
    """One row of each monitoring model, dated `at`."""
    rollup = await ResultRollup.create(
        target=target, region=f"r{next(_seq)}", hour=at.replace(minute=0, second=0, microsecond=0),
        checks=10, failures=1, sum_ms=1000.0, timed_checks=10,
    )  # fmt: skip
    transition = await StateTransition.create(
        target=target, from_status=TargetStatus.UP, to_status=TargetStatus.DOWN, at=at
    )
    incident = await create_incident(
        target, started_at=at, resolved_at=at + timedelta(minutes=5), cause="timeout"
    )
    event = await AlertEvent.create(
        workspace_id=target.workspace_id, target=target, incident=incident,
        kind=EventKind.DOWN, dedupe_key=f"e-{next(_seq)}{tag}", at=at,
    )  # fmt: skip
    notification = await Notification.create(
        workspace_id=target.workspace_id, event=event, kind="DOWN", created_at=at
    )
    result = await create_result(target, at=at, response_time_ms=120.0)
    return {
        "rollup": rollup,
        "transition": transition,
        "incident": incident,
        "event": event,
        "notification": notification,
        "result": result,
    }


async def fill_account(account: Account, keyring: KeyRing) -> dict[str, Any]:
    """Rows for the account in every table a customer can fill."""
    now = clock.now()
    ws = account.workspace
    user = account.user
    target = await create_target(
        ws,
        name=f"Target of {user.email}",
        status=TargetStatus.UP,
        secrets={"basicAuth.password": SECRET},
        keyring=keyring,
    )
    await TargetRegionState.create(target=target, region="eu-west", status=CheckStatus.UP)
    # A group holding the target (a row of the membership table), and a dependency of the
    # target on a second, empty group (no cycle: the graph has no edge).
    group = await TargetGroup.create(workspace=ws, name=f"Group of {user.email}")
    await group.targets.add(target)
    standby = await TargetGroup.create(workspace=ws, name="standby")
    dependency = await TargetDependency.create(
        workspace=ws, target=target, upstream_group=standby, position=0
    )
    rows = await monitoring_rows(target, now - timedelta(hours=1))
    channel = await AlertChannel.create(
        workspace=ws, name="ops mail", kind=ChannelKind.EMAIL,
        config={"address": user.email}, secrets_encrypted=keyring.encrypt_json({"x": "y"}),
    )  # fmt: skip
    await Notification.filter(id=rows["notification"].id).update(channel_id=channel.id)
    await WorkspaceAlertDefault.create(workspace=ws, policy={"channelIds": [channel.id]})
    await MaintenanceWindow.create(
        workspace=ws, target=target, starts_at=now, ends_at=now + timedelta(hours=1)
    )
    client = await OAuthClient.create(
        workspace=ws, name="CI bot", client_id=f"cid-{next(_seq)}", created_by=user,
        redirect_uris=["https://ci.example.test/cb"], created_at=now, updated_at=now,
    )  # fmt: skip
    await OAuthAuthorizationRequest.create(
        id=f"req-{next(_seq)}", client=client, redirect_uri="https://ci.example.test/cb",
        created_at=now, expires_at=now + timedelta(minutes=10),
    )  # fmt: skip
    await OAuthAuthorizationCode.create(
        code_hash=f"{next(_seq):064d}", client=client, user=user,
        redirect_uri="https://ci.example.test/cb", family_id="fam", created_at=now,
        expires_at=now + timedelta(minutes=10),
    )  # fmt: skip
    await OAuthToken.create(
        client=client, user=user, family_id=f"f{next(_seq)}", grant_type="authorization_code",
        access_token_hash=f"a{next(_seq):063d}", issued_at=now, expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    await Invitation.create(
        workspace=ws, email=f"friend-of-{user.email}", role="MEMBER",
        token_hash=f"i{next(_seq):063d}", invited_by=user, expires_at=now + timedelta(days=1),
    )  # fmt: skip
    await EmailToken.create(
        user=user, purpose="verify_email", token_hash=f"m{next(_seq):063d}",
        expires_at=now + timedelta(days=1),
    )  # fmt: skip
    await create_pat(user, ["targets:read"])
    await AuditEvent.create(
        subject=user, actor="Hitflow staff #1", action="staff.read_account", reason="ticket", at=now
    )
    order = await Order.create(
        user=user, workspace=ws, billing_email=user.email, provider="stripe",
        provider_order_id=f"cs_{next(_seq)}", status="PAID", amount=Decimal("9.00"),
    )  # fmt: skip
    return {
        "target": target,
        "channel": channel,
        "order": order,
        "group": group,
        "standby": standby,
        "dependency": dependency,
        **rows,
    }


def database_settings(tmp_path: Any, smtp: Any, database_url: str) -> Any:
    """Settings naming this test's own database (backups and commands read that URL)."""
    from tests.conftest import make_settings

    return make_settings(tmp_path, smtp, database_url=database_url)


async def run_cli(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `hitflow ARGS` in a subprocess, as an operator would, on the test's database."""
    from tests.conftest import TEST_KEY

    env = {
        **os.environ,
        "HITFLOW_DATABASE_URL": settings.effective_database_url,
        "HITFLOW_DATA_DIR": str(settings.data_dir),
        "HITFLOW_SECRET_KEYS": TEST_KEY,
        "HITFLOW_LOG_JSON": "false",
    }
    env.pop("HITFLOW_REDIS_URL", None)
    cli = [sys.executable, "-c", "from api.cli import main; main()", *args]
    return await anyio.to_thread.run_sync(
        lambda: subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    )


REQUEST_DELETION = "mutation($p: String!) { requestAccountDeletion(password: $p) }"
CONFIRM_DELETION = "mutation($t: String!) { confirmAccountDeletion(token: $t) }"


def deletion_link_token(mailbox: Any, email: str) -> str:
    """The token of the newest account-deletion link mailed to `email`."""
    bodies = [b for b in mailbox.bodies(email) if "/account/delete?token=" in b]
    assert bodies, mailbox.bodies(email)
    match = re.search(r"http://app\.test/account/delete\?token=(\S+)", bodies[-1])
    assert match
    return unquote(match.group(1))


async def confirm_deletion(gql: Any, mailbox: Any, run_core_jobs: Any, account: Account) -> None:
    """Request the deletion of the account with its password, then confirm it by the link."""
    assert (await gql(REQUEST_DELETION, {"p": PASSWORD}, token=account.token))["data"] == {
        "requestAccountDeletion": True
    }
    await run_core_jobs()
    token = deletion_link_token(mailbox, account.user.email)
    assert (await gql(CONFIRM_DELETION, {"t": token}))["data"] == {"confirmAccountDeletion": True}
