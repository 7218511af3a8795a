"""GraphQL documents and inputs for target tests."""

from __future__ import annotations

from typing import Any

from api.core.ids import encode
from api.targets.models import Target

TARGET_FIELDS = """
  id name kind status statusChangedAt intervalSeconds timeoutSeconds
  regions { code name continent } config heartbeatUrl alertPolicy
"""

CREATE = (
    "mutation($input: TargetInput!) { createTarget(input: $input) {"
    f" target {{ {TARGET_FIELDS} }} errors {{ field code message }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: TargetPatch!) { updateTarget(id: $id, input: $input) {"
    f" target {{ {TARGET_FIELDS} }} errors {{ field code message }} }} }}"
)
DELETE = "mutation($id: ID!) { deleteTarget(id: $id) { deletedId errors { field code message } } }"
PAUSE = (
    "mutation($id: ID!) { pauseTarget(id: $id) {"
    " target { id status } errors { field code message } } }"
)
RESUME = (
    "mutation($id: ID!) { resumeTarget(id: $id) {"
    " target { id status } errors { field code message } } }"
)
GET = f"query($id: ID!) {{ target(id: $id) {{ {TARGET_FIELDS} }} }}"


def http_input(workspace_gid: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "workspaceId": workspace_gid,
        "name": "Homepage",
        "kind": "HTTP",
        "config": {"url": "https://example.test/health"},
        "intervalSeconds": 60,
        "timeoutSeconds": 10,
        "regions": ["eu-west", "us-east"],
    }
    values.update(overrides)
    return values


def gid(target: Target | int) -> str:
    return encode("Target", target if isinstance(target, int) else target.id)
