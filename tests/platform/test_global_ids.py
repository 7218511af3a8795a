"""Global ids: api.core.ids writes and reads the ids the GraphQL layer (relay.GlobalID) uses."""

from __future__ import annotations

import pytest
from strawberry.relay import GlobalID

from api.core.errors import NotFound
from api.core.ids import decode, decode_or_none, encode


def test_ids_are_relay_global_ids() -> None:
    assert encode("Target", 42) == str(GlobalID("Target", "42"))
    assert decode(str(GlobalID("Target", "42")), "Target") == 42
    parsed = GlobalID.from_id(encode("AlertChannel", 7))
    assert (parsed.type_name, parsed.node_id) == ("AlertChannel", "7")


@pytest.mark.parametrize(
    "value",
    [
        encode("Workspace", 42),  # another type
        encode("Target", 0),
        encode("Target", "-1"),
        encode("Target", "1e3"),
        encode("Target", 2**63),  # beyond a database integer
        "not base64!",
        "VGFyZ2V0",  # base64 of "Target": no ":"
        "//79",  # not UTF-8
        "",
    ],
)
def test_anything_else_is_not_found(value: str) -> None:
    with pytest.raises(NotFound) as caught:
        decode(value, "Target", field="targetId")
    assert caught.value.field == "targetId"
    assert decode_or_none(value, "Target") is None
