"""probeRegions is public: every served region with its name and continent."""

from __future__ import annotations


async def test_probe_regions_are_public(gql) -> None:
    result = await gql("{ probeRegions { code name continent } }")
    assert result["data"]["probeRegions"] == [
        {"code": "eu-west", "name": "Paris", "continent": "Europe"},
        {"code": "us-east", "name": "Virginia", "continent": "North America"},
        {"code": "ap-south", "name": "Mumbai", "continent": "Asia"},
    ]
