"""Minimal pages for the links Hitflow e-mails, served only when no SPA is configured.

`hitflow up` on a laptop has no SPA: HITFLOW_APP_URL is unset, so e-mailed links point
at the API itself. These pages let a local user click them. Each page changes nothing
on GET: a button posts the matching GraphQL mutation as JSON (like the SPA would).
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from api.resources import Resources


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    text: str
    mutation: str  # GraphQL document; variables: the query-string `param` and the inputs
    param: str = "token"
    inputs: tuple[str, ...] = ()  # extra variables typed by the user (passwords)
    needs_login: bool = False
    button: str = "Confirm"
    extra_button: tuple[str, str] | None = None  # (label, mutation) e.g. Deny
    redirect_field: str | None = None  # follow this result field as a URL
    fields: dict[str, str] = field(default_factory=dict)


ERR = "errors { code message field }"
# The sign-in of pages that need one: the password, then the second factor if the account
# has one (a page's action needs a fully signed-in session, e.g. an OAuth consent).
LOG_IN = (
    "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) "
    f"{{ mfaRequired mfaToken {ERR} }} }}"
)
COMPLETE_LOG_IN = (
    "mutation($t: String!, $c: String, $r: String) { completeLogIn(mfaToken: $t, "
    f"totpCode: $c, recoveryCode: $r) {{ token {ERR} }} }}"
)
PAGES = (
    Page("/verify-email", "Confirm your e-mail address", "Confirm this address for Hitflow.",
         f"mutation($token: String!) {{ r: verifyEmail(token: $token) {{ {ERR} }} }}"),
    Page("/reset-password", "Choose a new password", "At least 10 characters.",
         f"mutation($token: String!, $password: String!) {{ r: resetPassword(token: $token, "
         f"password: $password) {{ {ERR} }} }}", inputs=("password",), button="Set password"),
    Page("/account/delete", "Delete your account",
         "Your account becomes inaccessible at once and its data is deleted within 30 days.",
         "mutation($token: String!) { r: confirmAccountDeletion(token: $token) }",
         button="Delete my account"),
    Page("/account/confirm-email-change", "Confirm your new e-mail address",
         "Make this address the sign-in address of your Hitflow account.",
         f"mutation($token: String!) {{ r: confirmEmailChange(token: $token) {{ {ERR} }} }}"),
    Page("/account/cancel-email-change", "Cancel the e-mail address change",
         "Keep your current address: the confirmation link sent to the new one stops working.",
         f"mutation($token: String!) {{ r: cancelEmailChange(token: $token) {{ {ERR} }} }}",
         button="Cancel the change"),
    Page("/confirm-channel", "Receive Hitflow alerts",
         "Confirm that this address may receive alerts from a Hitflow workspace.",
         f"mutation($token: String!) {{ r: confirmAlertChannel(token: $token) {{ {ERR} }} }}"),
    Page("/invitations/accept", "Join a workspace", "Accept the invitation you received.",
         f"mutation($token: String!) {{ r: acceptInvitation(token: $token) {{ {ERR} }} }}",
         needs_login=True, button="Join"),
    Page("/oauth/consent", "Authorize an application",
         "An application asks to act on your behalf.",
         f"mutation($token: ID!) {{ r: approveOAuthAuthorization(id: $token) "
         f"{{ redirectUrl {ERR} }} }}",
         param="request", needs_login=True, button="Approve", redirect_field="redirectUrl",
         extra_button=("Deny", f"mutation($token: ID!) {{ r: denyOAuthAuthorization(id: $token) "
                               f"{{ redirectUrl {ERR} }} }}")),
)  # fmt: skip

_SCRIPT = """
const cfg = JSON.parse(document.getElementById('cfg').textContent);
const out = document.getElementById('out');
async function gql(query, variables) {
  const r = await fetch('/graphql', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({query, variables})});
  return r.json();
}
let mfaToken = null;
function failed(res, name) {
  const payload = res.data && res.data[name];
  const errs = (res.errors || []).concat((payload && payload.errors) || []);
  if (errs.length) { out.textContent = errs[0].message; return true; }
  return false;
}
async function signIn() {
  // Two steps for an account with a second factor: the password, then a code.
  if (!mfaToken) {
    const login = await gql(cfg.logIn, {e: document.getElementById('email').value,
      p: document.getElementById('login-password').value});
    if (failed(login, 'logIn')) return false;
    if (!login.data.logIn.mfaRequired) return true;
    mfaToken = login.data.logIn.mfaToken;
    document.getElementById('mfa').hidden = false;
  }
  const code = document.getElementById('mfa-code').value.trim();
  if (!code) { out.textContent = 'Enter the code from your authenticator app.'; return false; }
  const totp = /^[0-9 ]{6,7}$/.test(code);
  const done = await gql(cfg.completeLogIn, {t: mfaToken, c: totp ? code : null,
    r: totp ? null : code});
  if (failed(done, 'completeLogIn')) {
    if (done.data && done.data.completeLogIn && done.data.completeLogIn.errors.some(
        e => e.field === 'mfaToken')) mfaToken = null;
    return false;
  }
  return true;
}
async function run(query) {
  out.textContent = '...';
  if (cfg.needsLogin && document.getElementById('email').value) {
    if (!await signIn()) return;
  }
  const variables = {token: cfg.value};
  for (const name of cfg.inputs) variables[name] = document.getElementById(name).value;
  const res = await gql(query, variables);
  if (res.errors && res.errors.length) { out.textContent = res.errors[0].message; return; }
  const r = res.data.r;
  if (r === false) { out.textContent = 'This link is invalid, expired or already used.'; return; }
  if (r && r.errors && r.errors.length) { out.textContent = r.errors[0].message; return; }
  if (cfg.redirect && r[cfg.redirect]) { window.location = r[cfg.redirect]; return; }
  out.textContent = 'Done.';
}
document.getElementById('go').onclick = () => run(cfg.mutation);
const other = document.getElementById('other');
if (other) other.onclick = () => run(cfg.extra);
"""


def _render(page: Page, value: str) -> str:
    cfg = {
        "mutation": page.mutation,
        "extra": page.extra_button[1] if page.extra_button else None,
        "value": value,
        "inputs": list(page.inputs),
        "needsLogin": page.needs_login,
        "redirect": page.redirect_field,
        "logIn": LOG_IN if page.needs_login else None,
        "completeLogIn": COMPLETE_LOG_IN if page.needs_login else None,
    }
    inputs = "".join(
        f'<p><label>New password <input type="password" id="{name}" minlength="10"></label></p>'
        for name in page.inputs
    )
    login = (
        "<fieldset><legend>Log in (if you are not already)</legend>"
        '<p><label>E-mail <input type="email" id="email"></label></p>'
        '<p><label>Password <input type="password" id="login-password"></label></p>'
        '<p id="mfa" hidden><label>Code from your authenticator app (or a recovery code) '
        '<input id="mfa-code" autocomplete="one-time-code"></label></p></fieldset>'
        if page.needs_login
        else ""
    )
    other = (
        f'<button id="other">{html.escape(page.extra_button[0])}</button>'
        if page.extra_button
        else ""
    )
    # `</` cannot appear in JSON we embed: escape it so the script block cannot be closed.
    data = json.dumps(cfg).replace("</", "<\\/")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(page.title)} - Hitflow</title></head>"
        "<body style='font-family:sans-serif;max-width:36em;margin:3em auto'>"
        f"<h1>{html.escape(page.title)}</h1><p>{html.escape(page.text)}</p>{login}{inputs}"
        f"<p><button id='go'>{html.escape(page.button)}</button> {other}</p>"
        "<p id='out' role='status'></p>"
        f"<script type='application/json' id='cfg'>{data}</script>"
        f"<script>{_SCRIPT}</script></body></html>"
    )


def _handler(page: Page) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def endpoint(request: Request) -> HTMLResponse:
        value = request.query_params.get(page.param, "")[:500]
        return HTMLResponse(_render(page, value), headers={"Cache-Control": "no-store"})

    return endpoint


def routes(resources: Resources) -> list[BaseRoute]:
    if resources.settings.app_url is not None:
        return []  # the SPA serves these pages
    return [Route(p.path, _handler(p), methods=["GET"]) for p in PAGES]
