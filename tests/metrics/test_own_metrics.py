"""Hitflow's own metrics: recorded by the API and workers, served on --metrics-port only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.metrics.own import REGISTRY
from api.targets.models import TargetStatus
from tests.conftest import free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.platform.test_cli import data_dir, environment, running  # noqa: F401 (fixtures)


def value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def own() -> str:
    return generate_latest(REGISTRY).decode()


async def test_requests_are_timed_by_route_template_and_operation_name(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    before = own()
    await gql("query WhoAmI { viewer { user { email } } }", token=owner.token)
    await gql("query Peek { viewer { user { email } } }")  # anonymous: viewer is null
    await gql("mutation Rotate($id: ID!) { rotateBadgeToken(targetId: $id) { token } }",
              {"id": "VGFyZ2V0Ojk5OTk5"})  # fmt: skip
    badge = "hf_bdg_" + "s3cr3t" * 7
    await client.get(f"/badge/{badge}/status.svg")
    after = own()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        delta("hitflow_graphql_operation_duration_seconds_count", operation="WhoAmI", type="query")
        == 1
    )
    assert delta("hitflow_graphql_operation_duration_seconds_count", operation="Peek") == 1
    assert delta("hitflow_graphql_errors_total", operation="Rotate", code="UNAUTHENTICATED") == 1
    assert (
        delta(
            "hitflow_http_request_duration_seconds_count",
            route="/graphql",
            method="POST",
            status="200",
        )
        == 3
    )
    assert (
        delta(
            "hitflow_http_request_duration_seconds_count",
            route="/badge/{token}/status.svg",
            status="404",
        )
        == 1
    )
    assert badge not in after and "viewer" not in after  # no tokens, no query text
    assert target.id  # the target exists; its badge was never issued


def test_metrics_port_serves_own_metrics_apart_from_the_api(data_dir: Path, running: Any) -> None:  # noqa: F811
    port, metrics_port = free_port(), free_port()
    proc = running(
        "up", "--port", str(port), "--metrics-port", str(metrics_port), env=environment(data_dir)
    )
    proc.wait_for_event("hitflow_up", timeout=60)  # migrations first: slow on a busy machine
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=5) as http:
        deadline = time.monotonic() + 15
        while http.get(f"{base}/healthz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        http.post(f"{base}/graphql", json={"query": "query Ping { viewer { user { email } } }"})
        # The public port's /metrics is the per-workspace endpoint: it wants a token.
        assert http.get(f"{base}/metrics").status_code == 401
        text = ""
        while time.monotonic() < deadline:
            text = http.get(f"http://127.0.0.1:{metrics_port}/metrics").text
            if "hitflow_queue_jobs{" in text and 'operation="Ping"' in text:
                break
            time.sleep(0.2)
    assert value(text, "hitflow_graphql_operation_duration_seconds_count", operation="Ping") == 1
    assert value(text, "hitflow_http_request_duration_seconds_count", route="/healthz") >= 1
    assert "hitflow_results_stream_length" in text and "hitflow_websocket_connections" in text
    # The backlog sampler of the core worker runs: every arq queue has its depth.
    assert 'hitflow_queue_jobs{queue="hitflow:core",state="queued"}' in text
    assert 'hitflow_queue_jobs{queue="hitflow:probe:eu-west",state="deferred"}' in text
    assert "hitflow_results_stream_consumers" in text
    assert "python_gc_objects_collected_total" not in text  # our registry, not the global one
    assert proc.stop() == 0


def test_without_metrics_port_nothing_listens(data_dir: Path, running: Any) -> None:  # noqa: F811
    port, metrics_port = free_port(), free_port()
    proc = running("api", "--port", str(port), env=environment(data_dir))
    proc.wait_for_event("hitflow_api_started")
    try:
        httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=1)
        raise AssertionError("something answered on the metrics port")
    except httpx.ConnectError:
        pass
    assert proc.stop() == 0
