"""GraphiQL is served in development only; queries over GET work in production too."""

from __future__ import annotations

import dataclasses
from unittest.mock import ANY

from tests.platform.helpers import app_client


async def test_graphiql_in_development_only(client, resources) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()

    settings = resources.settings.model_copy(update={"env": "production"})
    async with app_client(dataclasses.replace(resources, settings=settings)) as prod:
        page = await prod.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        # Queries over GET still work in production.
        query = await prod.get("/graphql", params={"query": "{ __typename }"})
        assert query.json() == {"extensions": ANY, "data": {"__typename": "Query"}}
