"""GET /metrics?workspace=<global id>: one workspace's targets for its own Prometheus.

Bearer token with the `metrics:read` scope (a PAT or an OAuth access token); the
workspace must be one of the token owner's, or the answer is 404 like an unknown one.
A scrape spends the token's API rate budget (api.oauth.ratelimit): 429 over it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.auth.resolve import resolve_token
from api.core import ids
from api.core.errors import NotFound
from api.metrics import exposition, service
from api.oauth.ratelimit import TokenRateLimited, enforce_token_rate_limit
from api.resources import Resources


def _bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def routes(resources: Resources) -> list[BaseRoute]:
    async def scrape(request: Request) -> Response:
        token = _bearer(request.headers.get("authorization"))
        principal = await resolve_token(token, resources.settings) if token else None
        if principal is None or not principal.authenticated:
            return PlainTextResponse(
                "A bearer token with the metrics:read scope is required.\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="hitflow"'},
            )
        if not principal.has_scope(service.SCOPE):
            return PlainTextResponse("This token lacks the metrics:read scope.\n", status_code=403)
        try:  # a scrape spends the token's API budget, like a GraphQL request
            quota = await enforce_token_rate_limit(resources, principal)
        except TokenRateLimited as exc:
            return PlainTextResponse(
                "Too many requests.\n",
                status_code=429,
                headers={"Retry-After": str(exc.retry_after), **exc.quota.headers()},
            )
        limit_headers = quota.headers() if quota is not None else {}
        workspace_param = request.query_params.get("workspace", "")
        if not workspace_param:
            return PlainTextResponse(
                "The workspace query parameter is required: /metrics?workspace=<workspace id>.\n",
                status_code=400,
                headers=limit_headers,
            )
        try:
            workspace_id = ids.decode(workspace_param, "Workspace")
            figures = await service.workspace_figures(principal, workspace_id)
        except NotFound:
            return PlainTextResponse(
                "No workspace with this id.\n", status_code=404, headers=limit_headers
            )
        target_ids = {f.id: ids.encode("Target", f.id) for f in figures}
        return Response(
            exposition.render(figures, target_ids),
            media_type=exposition.CONTENT_TYPE,
            headers={"Cache-Control": "no-store", **limit_headers},
        )

    return [Route("/metrics", scrape, methods=["GET"])]
