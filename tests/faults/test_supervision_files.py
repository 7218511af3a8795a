"""compose.yaml runs every long-running process under a supervisor, health-checked."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_process_is_restarted_and_health_checked() -> None:
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    hitflow = {n: s for n, s in services.items() if s.get("command", [""])[0] == "hitflow"}
    assert {"api", "worker", "probe-eu-west", "probe-us-east"} <= set(hitflow)
    for name, service in hitflow.items():
        if name == "migrate":  # one-shot
            continue
        assert service["restart"] == "unless-stopped", name
        check = service["healthcheck"]
        assert not check.get("disable"), name
        if name == "api":
            assert "/readyz" in " ".join(check["test"])
        else:
            ready_file = service["environment"]["HITFLOW_READY_FILE"]
            assert check["test"] == ["CMD", "hitflow", "health", "--file", ready_file], name


def test_the_readme_says_a_supervisor_is_required() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "A supervisor for every process" in readme
    assert "docs/operations.md" in readme
