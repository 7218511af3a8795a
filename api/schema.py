"""The strawberry Schema, assembled from each domain's Query / Mutation / Subscription.

A domain contributes `api/<domain>/queries.py: Query`, `mutations.py: Mutation`,
`subscriptions.py: Subscription` (each optional). Add a domain to DOMAINS.
"""

from __future__ import annotations

import importlib
from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types

from api.core.errors import PublicGraphQLError
from api.db import module_exists
from api.settings import Settings

DOMAINS = [
    "accounts",
    "workspaces",
    "targets",
    "results",
    "incidents",
    "notifications",
    "maintenance",
    "privacy",
    "oauth",
    "live",
]


def _parts(module_name: str, attr: str) -> list[type]:
    parts: list[type] = []
    for domain in DOMAINS:
        name = f"api.{domain}.{module_name}"
        if not module_exists(name):
            continue
        parts.append(getattr(importlib.import_module(name), attr))
    return parts


def _node_query() -> type:
    # relay.node() can be bound to one schema only: make a fresh field per schema.
    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node(description="Fetch any object by its global id.")

    return NodeQuery


def _should_mask(error: Any) -> bool:
    """Mask only unexpected exceptions; keep GraphQL validation and our public errors."""
    original = getattr(error, "original_error", None)
    if original is None:
        return False
    return not isinstance(original, PublicGraphQLError)


class HitflowSchema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Strawberry logs every error at ERROR level, client mistakes included; here
        MaskWithRequestId logs the unexpected ones (with the request id) and the rest
        are answers to the client, not incidents."""


def _execution_context_class() -> Any:
    """Live events are executed once per (operation, variables, rights), see api.live.sharing."""
    if not module_exists("api.live.sharing"):
        return None
    return importlib.import_module("api.live.sharing").SharingExecutionContext


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    from api.graphql.masking import MaskWithRequestId

    max_depth = settings.graphql_max_depth if settings else 12
    max_aliases = settings.graphql_max_aliases if settings else 30
    max_tokens = settings.graphql_max_tokens if settings else 3000
    query = merge_types("Query", (_node_query(), *_parts("queries", "Query")))
    mutations = _parts("mutations", "Mutation")
    subscriptions = _parts("subscriptions", "Subscription")
    rules = [depth_rule(max_depth, None), aliases_rule(max_aliases)]
    return HitflowSchema(
        query=query,
        mutation=merge_types("Mutation", tuple(mutations)) if mutations else None,
        subscription=merge_types("Subscription", tuple(subscriptions)) if subscriptions else None,
        execution_context_class=_execution_context_class(),
        extensions=[
            # The depth/alias rule classes are built once per schema (the stock extensions
            # build new classes per operation, held by every live subscription).
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            # One shared AST per distinct document (bounded LRU): every live subscriber of
            # the same query shares it instead of keeping its own parse (~6 KB each).
            lambda: ParserCache(maxsize=256),
            # Validated once per distinct document (the rules depend on the schema only):
            # no per-subscription validation garbage (~3.5 KB each until a full GC).
            lambda: ValidationCache(maxsize=256),
            lambda: MaskWithRequestId(should_mask_error=_should_mask),
        ],
    )


schema = build_schema()
