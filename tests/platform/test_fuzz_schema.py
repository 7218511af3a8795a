"""Every query and mutation of the schema, fuzzed as a signed-in user: never INTERNAL, never 5xx.

hypothesis-graphql writes operations for one root field at a time: valid ones (POSITIVE,
with arguments drawn from the field's input types) and ones with one schema violation
(NEGATIVE). Ids are drawn from real ones (the user's, another tenant's), other node types
and malformed ones; DateTimes from edge dates with extreme offsets; JSON values nested,
with huge numbers; strings may hold NUL (which PostgreSQL cannot store). Generation is derandomized (the same operations on every run) and
bounded per field, so the whole sweep takes seconds.

Each answer must be a JSON document (strict: no NaN / Infinity) below 500 whose every
error carries an `extensions.code` other than INTERNAL.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from typing import Any

import graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from api.accounts.sessions import create_session
from api.core.ids import encode
from api.schema import schema
from tests.factories.accounts import create_account
from tests.factories.incidents import create_incident
from tests.factories.targets import create_target

POSITIVE_PER_FIELD = 10
NEGATIVE_PER_FIELD = 2
ALLOWED_CODES = {
    "BAD_USER_INPUT",
    "GRAPHQL_VALIDATION_FAILED",
    "GRAPHQL_PARSE_FAILED",
    "INVALID",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "RATE_LIMITED",
    "LIMIT_REACHED",
    # A refusal before execution: nested plain lists (e.g. Target.dependents.dependents...)
    # are priced at HITFLOW_GRAPHQL_COST_LIST_SIZE items each.
    "QUERY_TOO_COSTLY",
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a response: not JSON")

    return json.loads(text, parse_constant=refuse)


def id_nodes(real_ids: list[str]) -> st.SearchStrategy[graphql.ValueNode]:
    malformed = [
        "",
        "garbage!!",
        "VGFyZ2V0OjE",  # no padding
        _b64("Nope:1"),
        _b64("Target:abc"),
        _b64("Target:-1"),
        _b64("Target:0"),
        _b64("Target:99999999999999999999999"),
        _b64("Target:1:2"),
        _b64("CheckResult:1"),
        _b64("__Schema:1"),
        "\u0000",
    ]
    real = st.sampled_from(real_ids)
    texts = st.one_of(real, real, real, st.sampled_from(malformed), st.text(max_size=12))
    return texts.map(lambda value: graphql.StringValueNode(value=value))


DATES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999Z",
    "2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00",
    "2030-02-30T00:00:00Z",
    "not a date",
    "",
]


def datetime_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    return st.sampled_from(DATES).map(lambda value: graphql.StringValueNode(value=value))


def json_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    leaves = st.one_of(
        st.text(max_size=20).map(lambda v: graphql.StringValueNode(value=v)),
        st.sampled_from(["0", "-1", "9223372036854775808", "1" + "0" * 40]).map(
            lambda v: graphql.IntValueNode(value=v)
        ),
        st.sampled_from(["1.5", "1e308", "1e999", "-1e999"]).map(
            lambda v: graphql.FloatValueNode(value=v)
        ),
        st.booleans().map(lambda v: graphql.BooleanValueNode(value=v)),
        st.just(graphql.NullValueNode()),
    )
    keys = st.sampled_from(
        [
            "url",
            "host",
            "port",
            "method",
            "headers",
            "jsonPath",
            "jsonValue",
            "address",
            "to",
            "secretHeaders",
            "expectedStatus",
            "basicAuth",
            "x",
        ]
    )

    def extend(children: st.SearchStrategy[graphql.ValueNode]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=3).map(lambda vs: graphql.ListValueNode(values=tuple(vs))),
            st.dictionaries(keys, children, max_size=4).map(
                lambda d: graphql.ObjectValueNode(
                    fields=tuple(
                        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                        for k, v in d.items()
                    )
                )
            ),
        )

    return st.recursive(leaves, extend, max_leaves=8)


def string_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    """Short text mostly; sometimes longer than any column (varchar limits on PostgreSQL)."""
    texts = st.one_of(
        st.text(max_size=20),
        st.text(max_size=20),
        st.sampled_from(["x" * 101, "x" * 256, "é" * 1000, "a@" + "b" * 300 + ".test"]),
    )
    return texts.map(lambda value: graphql.StringValueNode(value=value))


def collect(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` derandomized examples of `strategy` (no shrinking: a failure names its query)."""
    found: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def draw(document: str) -> None:
        found.append(document)

    draw()
    return found


def root_fields(kind: str) -> list[str]:
    root = getattr(schema._schema, f"{kind}_type")
    return sorted(root.fields)


async def test_every_query_and_mutation_fuzzed_gives_no_internal_error(
    client: Any, settings: Any
) -> None:
    me = await create_account(settings)
    other = await create_account(settings)
    mine = await create_target(me.workspace)
    theirs = await create_target(other.workspace)
    incident = await create_incident(mine)
    real_ids = [
        me.workspace_gid,
        encode("Target", mine.id),
        encode("User", me.user.id),
        encode("Incident", incident.id),
        other.workspace_gid,
        encode("Target", theirs.id),
        encode("AlertChannel", 1),
        encode("MaintenanceWindow", 1),
        encode("OAuthClient", 1),
    ]
    scalars = {
        "ID": id_nodes(real_ids),
        "DateTime": datetime_nodes(),
        "JSON": json_nodes(),
        "String": string_nodes(),
    }
    failures: list[str] = []
    sent = 0
    seen: Counter[str] = Counter()  # statuses and error codes, printed with -s
    started = time.perf_counter()
    for kind, make in (("query", queries), ("mutation", mutations)):
        for name in root_fields(kind):
            has_args = bool(getattr(schema._schema, f"{kind}_type").fields[name].args)
            documents = collect(
                make(schema._schema, fields=[name], custom_scalars=scalars),
                POSITIVE_PER_FIELD if has_args else 3,
            )
            if has_args:
                # One schema violation each: a wrong type, a missing argument...
                documents += collect(
                    make(
                        schema._schema,
                        fields=[name],
                        custom_scalars=scalars,
                        mode=Mode.NEGATIVE,
                    ),
                    NEGATIVE_PER_FIELD,
                )
            # A fresh session per field: signing out in one does not end the sweep.
            token = await create_session(settings, me.user)
            for document in documents:
                sent += 1
                response = await client.post(
                    "/graphql",
                    json={"query": document},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} for {document}")
                    continue
                body = _strict_json(response.text)
                seen[str(response.status_code)] += 1
                for error in body.get("errors") or ():
                    code = (error.get("extensions") or {}).get("code")
                    seen[str(code)] += 1
                    if code not in ALLOWED_CODES:
                        failures.append(f"{code}: {error.get('message')} for {document}")
    elapsed = time.perf_counter() - started
    print(f"fuzz: {sent} operations in {elapsed:.1f} s: {dict(seen)}")
    assert sent > 300
    assert not failures, "\n".join(failures[:20])
