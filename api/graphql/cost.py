"""One tenant cannot stall the others: a static query cost limit, per-principal
concurrency and an execution timeout (docs/security.md, "Limits").

Cost (computed on the validated document, before anything is resolved):
- a leaf field (scalar, enum, or a list of them) costs 0, except a mutation (1);
  introspection costs 0 (it is bounded by the schema's size);
- any other field costs 1 (`FIELD_COSTS` raises known-expensive ones), plus its
  selection; objects built in memory from their parent (`FREE_FIELDS`: a target's
  regions, a result's timings) cost 0;
- a connection (a type `...Connection` with `edges`) fetches `first` / `last` items
  (a literal or a variable; DEFAULT_PAGE when absent, at most MAX_PAGE): its `edges`
  selection is counted that many times, each item costing 1 plus its selection;
- a plain list of objects is assumed to hold HITFLOW_GRAPHQL_COST_LIST_SIZE items;
- every alias counts (29 aliased `incidents` cost 29 times one); fragments count where
  they are spread (a fragment's cost is computed once).
An operation over HITFLOW_GRAPHQL_MAX_COST is refused with QUERY_TOO_COSTLY before it
runs; every query and mutation answer carries `extensions.cost = {requested, limit}`.

Concurrency: at most HITFLOW_GRAPHQL_MAX_CONCURRENT_PER_PRINCIPAL operations per
principal (a user, whatever the credential; an anonymous client by IP) run at once in
one API process; more wait up to HITFLOW_GRAPHQL_CONCURRENCY_WAIT_SECONDS for a slot,
then get RATE_LIMITED (retryAfter 1).

Timeout: a query still running after HITFLOW_GRAPHQL_TIMEOUT_SECONDS is stopped and
answered with TIMEOUT. Mutations are not interrupted (they are cheap and must not stop
half-way).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.core.errors import PublicGraphQLError
from api.core.paging import DEFAULT_PAGE, MAX_PAGE
from api.graphql.caches import cacheable
from api.graphql.fairgate import charge
from api.settings import Settings

# Fields that cost more than one unit per use (aggregations over many rows).
FIELD_COSTS: dict[tuple[str, str], int] = {
    ("Target", "stats"): 10,
}
# Objects built in memory from their parent (no query of their own): free, items too.
FREE_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("Target", "regions"),
        ("Query", "probeRegions"),
        ("CheckResult", "timings"),
        ("TargetStats", "byRegion"),
    }
)


class QueryTooCostly(PublicGraphQLError):
    code = "QUERY_TOO_COSTLY"

    def __init__(self, requested: int, limit: int) -> None:
        super().__init__(
            f"This query's cost is {requested}, over the limit of {limit} "
            "(HITFLOW_GRAPHQL_MAX_COST): ask for fewer items (first/last), fewer aliases or "
            "fewer nested lists.",
            cost={"requested": requested, "limit": limit},
        )


class TimedOut(PublicGraphQLError):
    code = "TIMEOUT"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The query was stopped after {seconds:g} s (HITFLOW_GRAPHQL_TIMEOUT_SECONDS): "
            "ask for less at once.",
            limitSeconds=seconds,
        )


class TooManyInFlight(PublicGraphQLError):
    code = "RATE_LIMITED"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Too many operations in flight for this user (at most {limit} at once, "
            "HITFLOW_GRAPHQL_MAX_CONCURRENT_PER_PRINCIPAL); retry in 1 s.",
            retryAfter=1,
        )
        self.retry_after = 1


# --- static cost --------------------------------------------------------------------


@dataclass
class _Walk:
    schema: GraphQLSchema
    variables: dict[str, Any]
    list_size: int
    fragments: dict[str, FragmentDefinitionNode]
    memo: dict[str, int] = field(default_factory=dict)

    def items(self, node: FieldNode) -> int:
        """How many items a connection field asks for (`first` or `last`)."""
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, min(value, MAX_PAGE))
        return DEFAULT_PAGE

    def selection(self, parent: GraphQLNamedType, nodes: SelectionSetNode | None) -> int:
        if nodes is None:
            return 0
        total = 0
        for node in nodes.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node)
            elif isinstance(node, InlineFragmentNode):
                condition = (
                    self.schema.get_type(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                total += self.selection(condition or parent, node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name not in self.memo:
            self.memo[name] = 0  # a cycle (refused by validation anyway) counts once
            definition = self.fragments.get(name)
            if definition is not None:
                condition = self.schema.get_type(definition.type_condition.name.value)
                if condition is not None:
                    self.memo[name] = self.selection(condition, definition.selection_set)
        return self.memo[name]

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition: GraphQLField | None = parent.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if (parent.name, name) in FREE_FIELDS:
            return 0
        if is_leaf_type(named):
            # A mutation does work whatever it answers.
            default = 1 if parent is self.schema.mutation_type else 0
            return FIELD_COSTS.get((parent.name, name), default)
        base = FIELD_COSTS.get((parent.name, name), 1)
        if _is_connection(named):
            return base + self.connection(named, node.selection_set, self.items(node))
        children = self.selection(named, node.selection_set)
        if _is_list(definition.type):
            return base + self.list_size * (1 + children)
        return base + children

    def connection(
        self, connection: GraphQLNamedType, nodes: SelectionSetNode | None, items: int
    ) -> int:
        """`edges` counted once per item (each costing 1 + its node's selection)."""
        if nodes is None:
            return 0
        total = 0
        for node in nodes.selections:
            if isinstance(node, FieldNode) and node.name.value == "edges":
                assert isinstance(connection, GraphQLObjectType)
                edge = get_named_type(connection.fields["edges"].type)
                total += items * (1 + self.edge(edge, node.selection_set))
            elif isinstance(node, FieldNode):
                total += self.field(connection, node)
            elif isinstance(node, InlineFragmentNode):  # count their edges the same way
                total += self.connection(connection, node.selection_set, items)
            elif isinstance(node, FragmentSpreadNode):
                spread = self.fragments.get(node.name.value)
                if spread is not None:
                    total += self.connection(connection, spread.selection_set, items)
        return total

    def edge(self, edge: GraphQLNamedType, nodes: SelectionSetNode | None) -> int:
        """An edge's own fields (cursor, node) are part of the item: its node's selection."""
        if nodes is None or not isinstance(edge, GraphQLObjectType):
            return 0
        total = 0
        for node in nodes.selections:
            if isinstance(node, FieldNode) and node.name.value == "node":
                total += self.selection(
                    get_named_type(edge.fields["node"].type), node.selection_set
                )
            elif isinstance(node, FieldNode):
                total += self.field(edge, node)
            elif isinstance(node, InlineFragmentNode):
                total += self.edge(edge, node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                spread = self.fragments.get(node.name.value)
                if spread is not None:
                    total += self.edge(edge, spread.selection_set)
        return total


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            return True
        type_ = type_.of_type
    return False


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "edges" in named.fields
    )


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    list_size: int,
) -> int:
    """The static cost of the operation that would run (see the module docstring)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if not chosen:
        return 0
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)  # graphql-core's OperationType
    if root is None:
        return 0
    walk = _Walk(schema, variables or {}, list_size, fragments)
    return walk.selection(root, operation.selection_set)


class CostCache:
    """The cost of recent (document, operation, variables): a repeated operation (a
    dashboard polling, a flood of one refused query) is costed once. Bounded LRU."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._costs: OrderedDict[tuple[str, str | None, str], int] = OrderedDict()

    @staticmethod
    def key(query: Any, operation_name: str | None, variables: Any) -> Any:
        if not cacheable(query):  # large documents are costed each time, not kept
            return None
        try:
            return (query, operation_name, json.dumps(variables, sort_keys=True))
        except (TypeError, ValueError):
            return None

    def get(self, key: Any) -> int | None:
        cost = self._costs.get(key) if key is not None else None
        if cost is not None:
            self._costs.move_to_end(key)
        return cost

    def put(self, key: Any, cost: int) -> None:
        if key is None:
            return
        self._costs[key] = cost
        if len(self._costs) > self.maxsize:
            self._costs.popitem(last=False)


class QueryCost(SchemaExtension):
    """Refuses operations over the cost limit before they run; reports the cost."""

    def __init__(self, settings: Settings, cache: CostCache) -> None:
        self.settings = settings
        self.cache = cache
        self.requested: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            key = self.cache.key(context.query, context.operation_name, context.variables)
            self.requested = self.cache.get(key)
            if self.requested is None:
                self.requested = operation_cost(
                    context.schema._schema,
                    document,
                    operation_name=context.operation_name,
                    variables=context.variables,
                    list_size=self.settings.graphql_cost_list_size,
                )
                self.cache.put(key, self.requested)
            limit = self.settings.graphql_max_cost
            # The caller's cost budget (api/graphql/fairgate.py): asking for more than the
            # limit spends the limit.
            charge(min(self.requested, limit))
            if self.requested > limit:
                raise QueryTooCostly(self.requested, limit)
            if context.operation_type is OperationType.QUERY:
                _start_query_deadline(self.settings.graphql_timeout_seconds)
        yield

    def get_results(self) -> dict[str, Any]:
        # Not on subscription events: their payloads are shared between subscribers.
        if self.requested is None or self.execution_context.operation_type not in (
            OperationType.QUERY,
            OperationType.MUTATION,
        ):
            return {}
        return {"cost": {"requested": self.requested, "limit": self.settings.graphql_max_cost}}


# --- concurrency and timeout (around Schema.execute) ----------------------------------

_deadline: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar(
    "hitflow_query_deadline", default=None
)


def _start_query_deadline(seconds: float) -> None:
    timeout = _deadline.get()
    if timeout is not None:
        timeout.reschedule(asyncio.get_running_loop().time() + seconds)


class Slots:
    """At most `limit` operations in flight per principal key, in this process."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    async def acquire(self, key: str) -> bool:
        """Take a slot, waiting up to `wait_seconds`; False when none freed up in time."""
        semaphore = self._semaphores.get(key)
        if semaphore is None:
            semaphore = self._semaphores[key] = asyncio.Semaphore(self.limit)
        self._users[key] = self._users.get(key, 0) + 1
        try:
            if not semaphore.locked():
                await semaphore.acquire()  # free: returns at once
            elif self.wait_seconds <= 0:
                raise TimeoutError
            else:
                await asyncio.wait_for(semaphore.acquire(), self.wait_seconds)
        except TimeoutError:
            self._leave(key)
            return False
        except BaseException:
            self._leave(key)
            raise
        return True

    def release(self, key: str) -> None:
        self._semaphores[key].release()
        self._leave(key)

    def _leave(self, key: str) -> None:
        self._users[key] -= 1
        if self._users[key] == 0:  # nobody holds or waits: forget the key
            del self._users[key]
            del self._semaphores[key]


def principal_key(context: Any) -> str | None:
    """Whose budget an operation uses: the user, else the client credential, else the IP."""
    principal = getattr(context, "principal", None)
    if principal is None:
        return None
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.credential_id is not None:
        return f"{principal.kind}:{principal.credential_id}"
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return f"ip:{client.host if client else 'unknown'}"


@dataclass
class Guard:
    """Concurrency slots and the query deadline, around one Schema.execute call."""

    slots: Slots
    timeout_seconds: float

    async def run(self, context: Any, execute: Any) -> Any:
        """`await execute()` within the principal's slots and the deadline; returns the
        result, or raises TooManyInFlight / TimedOut."""
        key = principal_key(context)
        if key is not None and not await self.slots.acquire(key):
            raise TooManyInFlight(self.slots.limit)
        try:
            # No deadline until QueryCost starts it (queries only, once validated).
            async with asyncio.timeout(None) as deadline:
                token = _deadline.set(deadline)
                try:
                    return await execute()
                finally:
                    _deadline.reset(token)
        except TimeoutError:
            raise TimedOut(self.timeout_seconds) from None
        finally:
            if key is not None:
                self.slots.release(key)
