"""The examples in docs/targets.md, docs/alerting.md and docs/status-pages.md are valid
against the schema, and the documented webhook verification accepts what Hitflow signs
(and nothing else)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from graphql import parse, validate

from api.notifications.transports.webhook import sign
from api.schema import schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _blocks(name: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / name).read_text(), flags=re.S)


@pytest.mark.parametrize("name", ["targets.md", "alerting.md", "status-pages.md"])
def test_every_graphql_example_validates(name: str) -> None:
    blocks = _blocks(name, "graphql")
    assert blocks
    for block in blocks:
        assert validate(schema._schema, parse(block)) == [], block


def test_the_documented_python_verification_matches_the_signature() -> None:
    (code,) = _blocks("alerting.md", "python")
    namespace: dict[str, object] = {}
    exec(code, namespace)  # our own documentation
    verify = namespace["verify"]
    body = b'{"event":"DOWN"}'
    now = str(int(time.time()))
    signature = sign("a-long-random-secret-string", now, body)
    assert verify("a-long-random-secret-string", body, now, signature)  # type: ignore[operator]
    assert not verify("another-secret", body, now, signature)  # type: ignore[operator]
    assert not verify("a-long-random-secret-string", body + b" ", now, signature)  # type: ignore[operator]
    old = str(int(time.time()) - 3600)
    assert not verify(  # type: ignore[operator]
        "a-long-random-secret-string", body, old, sign("a-long-random-secret-string", old, body)
    )


def test_the_documented_javascript_verification_matches_the_signature(tmp_path) -> None:
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("no Node.js here")
    (code,) = _blocks("alerting.md", "javascript")
    now = str(int(time.time()))
    body = '{"event":"UP"}'
    signature = sign("a-long-random-secret-string", now, body.encode())
    script = tmp_path / "verify.mjs"
    script.write_text(
        code
        + f"\nconst body = Buffer.from({json.dumps(body)});\n"
        + f"console.log(verify('a-long-random-secret-string', body, {json.dumps(now)},"
        + f" {json.dumps(signature)}), verify('wrong', body, {json.dumps(now)},"
        + f" {json.dumps(signature)}));\n"
    )
    out = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["true", "false"], out.stderr
