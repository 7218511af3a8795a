"""Mutation payloads shared by several domains (a GraphQL type name may exist only once).

Import `DeletePayload` from here rather than defining another one.
"""

from __future__ import annotations

import strawberry

from api.graphql.errors import UserError


@strawberry.type(description="The answer of a mutation that deletes or revokes something.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of what was deleted; null on failure."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted."
    )
