"""The strawberry Schema, assembled from each domain's Query / Mutation / Subscription.

A domain contributes `api/<domain>/queries.py: Query`, `mutations.py: Mutation`,
`subscriptions.py: Subscription` (each optional): add it to QUERIES / MUTATIONS below.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql.validation import ASTValidationRule
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.accounts import mutations as accounts_mutations
from api.accounts import queries as accounts_queries
from api.accounts import security_mutations as accounts_security
from api.badges import mutations as badges_mutations
from api.billing import mutations as billing_mutations
from api.billing import queries as billing_queries
from api.core import tracing
from api.core.errors import PublicGraphQLError
from api.graphql.caches import SmallParserCache, SmallValidationCache
from api.graphql.cost import CostCache, Guard, QueryCost, Slots, TimedOut, TooManyInFlight
from api.graphql.descriptions import fill_descriptions
from api.graphql.masking import (
    FiniteFloatsRule,
    MaskWithRequestId,
    NoNulStringsRule,
    tag_parse_errors,
)
from api.graphql.metrics import GraphQLMetrics
from api.graphql.persisted import PersistedQueries
from api.live.sharing import SharingExecutionContext
from api.live.subscriptions import Subscription
from api.maintenance import mutations as maintenance_mutations
from api.notifications import mutations as notifications_mutations
from api.oauth import mutations as oauth_mutations
from api.oauth import queries as oauth_queries
from api.privacy import mutations as privacy_mutations
from api.privacy import queries as privacy_queries
from api.results import mutations as results_mutations
from api.results import queries as results_queries
from api.settings import Settings
from api.statuspages import live as statuspages_live
from api.statuspages import mutations as statuspages_mutations
from api.statuspages import queries as statuspages_queries
from api.statuspages import subscriber_mutations as statuspages_subscribers
from api.targets import graph_mutations as targets_graph
from api.targets import mutations as targets_mutations
from api.targets import queries as targets_queries
from api.workspaces import mutations as workspaces_mutations

# In schema order (it is the order of the fields in schema.graphql).
QUERIES: tuple[type, ...] = (
    accounts_queries.Query,
    targets_queries.Query,
    targets_graph.Query,
    results_queries.Query,
    privacy_queries.Query,
    oauth_queries.Query,
    billing_queries.Query,
    statuspages_queries.Query,
    statuspages_subscribers.Query,
)
MUTATIONS: tuple[type, ...] = (
    accounts_mutations.Mutation,
    accounts_security.Mutation,
    workspaces_mutations.Mutation,
    targets_mutations.Mutation,
    targets_graph.Mutation,
    badges_mutations.Mutation,
    notifications_mutations.Mutation,
    maintenance_mutations.Mutation,
    results_mutations.Mutation,
    privacy_mutations.Mutation,
    oauth_mutations.Mutation,
    billing_mutations.Mutation,
    statuspages_mutations.Mutation,
    statuspages_subscribers.Mutation,
)


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
    # Per-principal concurrency and the query deadline (api/graphql/cost.py); None for
    # a schema built without settings (schema export).
    guard: Guard | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        async def run() -> ExecutionResult:
            return await super(HitflowSchema, self).execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )

        if self.guard is None:
            return await run()
        try:
            result: ExecutionResult = await self.guard.run(context_value, run)
        except (TooManyInFlight, TimedOut) as exc:
            response = getattr(context_value, "response", None)
            if isinstance(exc, TooManyInFlight) and response is not None:
                response.headers["Retry-After"] = str(exc.retry_after)
            return ExecutionResult(data=None, errors=[exc])
        return result

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Strawberry logs every error at ERROR level, client mistakes included; here
        MaskWithRequestId logs the unexpected ones (with the request id) and the rest
        are answers to the client, not incidents."""
        tag_parse_errors(errors)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    max_depth = settings.graphql_max_depth if settings else 12
    max_aliases = settings.graphql_max_aliases if settings else 30
    max_tokens = settings.graphql_max_tokens if settings else 3000
    rules: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None),
        aliases_rule(max_aliases),
        FiniteFloatsRule,
        NoNulStringsRule,
    ]
    costs = CostCache()
    cost: list[Any] = [lambda: QueryCost(settings, costs)] if settings else []
    traced: list[Any] = []
    if settings is not None and tracing.enabled():
        from api.graphql.tracing import GraphQLTracing  # imports opentelemetry: only if on

        traced.append(GraphQLTracing)
    built = HitflowSchema(
        query=merge_types("Query", (_node_query(), *QUERIES)),
        mutation=merge_types("Mutation", MUTATIONS),
        subscription=merge_types("Subscription", (Subscription, statuspages_live.Subscription)),
        # Live events are executed once per (operation, variables, rights).
        execution_context_class=SharingExecutionContext,
        extensions=[
            *traced,  # the operation's span encloses all the rest
            # First: a hash-only request gets its document before anything parses it.
            PersistedQueries,
            # The depth/alias rule classes are built once per schema (the stock extensions
            # build new classes per operation, held by every live subscription).
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            # One shared AST per distinct document (bounded LRU): every live subscriber of
            # the same query shares it instead of keeping its own parse (~6 KB each).
            # Large documents are not kept (api/graphql/caches.py).
            lambda: SmallParserCache(maxsize=256),
            # Validated once per distinct document (the rules depend on the schema only):
            # no per-subscription validation garbage (~3.5 KB each until a full GC).
            lambda: SmallValidationCache(maxsize=256),
            # Static cost limit, reported in extensions.cost (api/graphql/cost.py).
            *cost,
            lambda: MaskWithRequestId(should_mask_error=_should_mask),
            GraphQLMetrics,
        ],
    )
    fill_descriptions(built._schema)
    if settings is not None:
        built.guard = Guard(
            Slots(
                settings.graphql_max_concurrent_per_principal,
                settings.graphql_concurrency_wait_seconds,
            ),
            settings.graphql_timeout_seconds,
        )
    return built


schema = build_schema()
