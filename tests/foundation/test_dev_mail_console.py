"""Without SMTP, development prints mails on the console (so the link can be clicked);
production never prints mailed links."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mail import link_token

SIGN_UP = """mutation($e: String!) { signUp(email: $e, password: "long enough password") {
  errors { code } } }"""
VERIFY = (
    "mutation($t: String!) { verifyEmail(token: $t) { user { emailVerified } errors { code } } }"
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"smtp_url": None}


async def test_sign_up_link_appears_on_the_console_and_works(gql, run_core_jobs, capfd) -> None:
    await gql(SIGN_UP, {"e": "dev@example.test"})
    await run_core_jobs()

    out, err = capfd.readouterr()
    console = out + err
    assert "To: dev@example.test" in console
    token = link_token(console, "/verify-email")

    result = await gql(VERIFY, {"t": token})
    assert result["data"]["verifyEmail"] == {"user": {"emailVerified": True}, "errors": []}


async def test_production_without_smtp_prints_no_link(settings, capfd) -> None:
    from api.mail.service import build_message, deliver

    production = settings.model_copy(update={"env": "production"})
    message = build_message(
        production, to="ops@example.test", subject="Reset", body="http://x/?token=hf_mail_SECRET"
    )
    await deliver(production, message)
    out, err = capfd.readouterr()
    assert "hf_mail_SECRET" not in out + err


async def test_alert_mails_follow_the_same_rule(settings, resources, capfd) -> None:
    """An e-mail alert channel without SMTP: printed whole in development; in production
    a failed delivery (never a silent "SENT")."""
    from types import SimpleNamespace

    from api.notifications.delivery import provider_config
    from api.notifications.models import ChannelKind
    from api.notifications.transports import email
    from api.notifications.transports.base import TransportError

    message = SimpleNamespace(title="DOWN: shop", text="shop is down since 04:17")
    config = {"address": "oncall@example.test"} | provider_config(settings, ChannelKind.EMAIL)
    await email.notify(resources.http, config, {}, message)
    out, err = capfd.readouterr()
    assert "To: oncall@example.test" in out + err
    assert "Subject: [Hitflow] DOWN: shop" in out + err and "since 04:17" in out + err

    production = settings.model_copy(update={"env": "production"})
    config = {"address": "oncall@example.test"} | provider_config(production, ChannelKind.EMAIL)
    with pytest.raises(TransportError) as failed:
        await email.notify(resources.http, config, {}, message)
    assert "HITFLOW_SMTP_URL" in str(failed.value)
    out, err = capfd.readouterr()
    assert "since 04:17" not in out + err
