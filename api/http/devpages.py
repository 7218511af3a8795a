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
async function run(query) {
  out.textContent = '...';
  if (cfg.needsLogin && document.getElementById('email').value) {
    const login = await gql('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p)'
      + ' { errors { message } } }', {e: document.getElementById('email').value,
      p: document.getElementById('login-password').value});
    const errs = (login.errors || []).concat((login.data && login.data.logIn.errors) || []);
    if (errs.length) { out.textContent = errs[0].message; return; }
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
    }
    inputs = "".join(
        f'<p><label>New password <input type="password" id="{name}" minlength="10"></label></p>'
        for name in page.inputs
    )
    login = (
        "<fieldset><legend>Log in (if you are not already)</legend>"
        '<p><label>E-mail <input type="email" id="email"></label></p>'
        '<p><label>Password <input type="password" id="login-password"></label></p></fieldset>'
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
