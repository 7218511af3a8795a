"""OpenTelemetry tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, a real `hitflow up` sends
OTLP/HTTP protobuf spans to a local collector: request -> operation -> service -> database,
and a span per worker job. Without it, nothing is sent and nothing is wrapped."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import free_port
from tests.platform.test_cli import data_dir, environment, hitflow, running  # noqa: F401


class Collector:
    """An OTLP/HTTP receiver: POST /v1/traces with an ExportTraceServiceRequest body."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.paths: list[str] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.receive(self.path, self.headers.get("Content-Type", ""), body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def receive(self, path: str, content_type: str, body: bytes) -> None:
        self.paths.append(f"{path} {content_type}")
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append({
                        "service": service,
                        "name": span.name,
                        "trace": span.trace_id.hex(),
                        "id": span.span_id.hex(),
                        "parent": span.parent_span_id.hex(),
                        "attributes": {a.key: a.value for a in span.attributes},
                    })  # fmt: skip

    def named(self, name: str) -> list[dict[str, Any]]:
        return [s for s in self.spans if s["name"] == name]

    def children(self, span: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for s in self.spans if s["parent"] == span["id"]]

    def close(self) -> None:
        self.server.shutdown()


SIGN_UP = """mutation Join($email: String!) {
  signUp(email: $email, password: "correct horse battery staple") { errors { code } }
}"""


def test_spans_of_a_request_and_of_a_job_reach_the_collector(data_dir: Path, running: Any) -> None:  # noqa: F811
    collector = Collector()
    port = free_port()
    env = environment(
        data_dir, OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_BSP_SCHEDULE_DELAY="100"
    )
    proc = running("up", "--port", str(port), env=env)
    try:
        proc.wait_for_event("hitflow_up", timeout=60)
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        with httpx.Client(timeout=10) as http:
            answer = http.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": SIGN_UP, "variables": {"email": "ada@example.test"}},
                headers={"traceparent": traceparent},
            )
        assert answer.json()["data"] == {"signUp": {"errors": []}}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            collector.named("job send_email") and collector.named("Mutation.signUp")
        ):
            time.sleep(0.2)

        # The request's span continues the caller's trace, named by its route template.
        (request,) = collector.named("POST /graphql")
        assert request["trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert request["parent"] == "00f067aa0ba902b7"
        assert request["service"] == "hitflow-up"
        # request -> operation (by name, not text) -> root field (the service call) -> SQL
        (operation,) = collector.named("mutation Join")
        assert operation["parent"] == request["id"]
        (service,) = collector.named("Mutation.signUp")
        assert service["parent"] == operation["id"] and service["trace"] == request["trace"]
        statements = [s for s in collector.children(service) if s["name"].startswith("db ")]
        assert {"db INSERT", "db SELECT"} <= {s["name"] for s in statements}
        insert = next(s for s in statements if s["name"] == "db INSERT")
        assert insert["attributes"]["db.system"].string_value == "sqlite"
        # The worker's job that sent the verification mail has its own span.
        (job,) = collector.named("job send_email")
        assert job["service"] == "hitflow-up"
        # No query text, variable or password anywhere in what was exported.
        exported = repr(collector.spans)
        assert "ada@example.test" not in exported and "horse" not in exported
        assert "signUp(" not in exported
        assert all(p.startswith("/v1/traces application/x-protobuf") for p in collector.paths)
        code = proc.stop(timeout=60)  # the last spans are flushed on the way out
        assert code == 0, proc.output()[-4000:]
    finally:
        collector.close()


def test_without_an_endpoint_nothing_is_traced(settings) -> None:
    from tortoise.backends.sqlite.client import SqliteClient

    from api.core import tracing

    assert settings.otel_endpoint is None
    assert tracing.configure(settings, "test") is False and not tracing.enabled()
    assert not getattr(SqliteClient.execute_query, "_hitflow_traced", False)
    with tracing.span("anything") as span:
        assert span is None  # a null context: no tracer, no span


def test_an_endpoint_that_is_not_an_otlp_http_url_is_refused_at_start(data_dir: Path) -> None:  # noqa: F811
    env = environment(data_dir, OTEL_EXPORTER_OTLP_ENDPOINT="grpc://collector:4317")
    result = hitflow("api", "--port", str(free_port()), env=env)
    assert result.returncode != 0
    assert "OTEL_EXPORTER_OTLP_ENDPOINT: must be the http(s) URL of an OTLP/HTTP" in result.stderr
