"""The catalogue of probe regions: one or more per continent."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    continent: str


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("eu-west", "Paris", "Europe"),
        Region("eu-central", "Frankfurt", "Europe"),
        Region("us-east", "Virginia", "North America"),
        Region("us-west", "Oregon", "North America"),
        Region("sa-east", "São Paulo", "South America"),
        Region("af-south", "Johannesburg", "Africa"),
        Region("ap-south", "Mumbai", "Asia"),
        Region("ap-southeast", "Singapore", "Asia"),
        Region("ap-northeast", "Tokyo", "Asia"),
        Region("oc-southeast", "Sydney", "Oceania"),
    )
}
