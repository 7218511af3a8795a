"""The HTTP probe against a real local server: phases, assertions, redirects, limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.probes.conftest import check, server_context
from tests.probes.servers import HTTPServer


async def test_up_with_phase_timings_and_a_deterministic_check_id(pctx, http_server):
    result = await check(pctx, "HTTP", {"url": http_server.base + "/"})
    assert result["status"] == "UP", result
    assert result["http_status"] == 200
    assert result["check_id"] == "42:eu-west:1700000000000"
    for key in ("dns_ms", "connect_ms", "first_byte_ms", "transfer_ms", "response_time_ms"):
        assert result[key] is not None and result[key] >= 0, key
    assert result["tls_ms"] is None
    assert result["error"] is None


async def test_every_check_opens_a_new_connection(pctx, http_server):
    for _ in range(3):
        assert (await check(pctx, "HTTP", {"url": http_server.base + "/"}))["status"] == "UP"
    assert http_server.connections == 3


async def test_unexpected_status_is_down_and_expected_ranges_are_honoured(pctx, http_server):
    down = await check(pctx, "HTTP", {"url": http_server.base + "/status/500"})
    assert down["status"] == "DOWN"
    assert down["http_status"] == 500
    assert down["error"].startswith("HTTP_STATUS: got 500")
    up = await check(
        pctx, "HTTP", {"url": http_server.base + "/status/503", "expectedStatus": ["5xx"]}
    )
    assert up["status"] == "UP"
    exact = await check(
        pctx, "HTTP", {"url": http_server.base + "/status/404", "expectedStatus": [200, 404]}
    )
    assert exact["status"] == "UP"


async def test_keyword_present_absent_and_missing(pctx, http_server):
    url = http_server.base + "/"
    assert (await check(pctx, "HTTP", {"url": url, "keyword": "hello"}))["status"] == "UP"
    missing = await check(pctx, "HTTP", {"url": url, "keyword": "goodbye"})
    assert missing["status"] == "DOWN" and missing["error"].startswith("KEYWORD_MISSING")
    absent = await check(pctx, "HTTP", {"url": url, "keyword": "hello", "keywordAbsent": True})
    assert absent["status"] == "DOWN" and absent["error"].startswith("KEYWORD_PRESENT")
    fine = await check(pctx, "HTTP", {"url": url, "keyword": "error", "keywordAbsent": True})
    assert fine["status"] == "UP"


async def test_json_path_and_value(pctx, http_server):
    url = http_server.base + "/json"
    ok = await check(pctx, "HTTP", {"url": url, "jsonPath": "$.status.ok", "jsonValue": True})
    assert ok["status"] == "UP", ok
    nested = await check(
        pctx, "HTTP", {"url": url, "jsonPath": "$.status.items[0].id", "jsonValue": "7"}
    )
    assert nested["status"] == "UP", nested
    wrong = await check(
        pctx, "HTTP", {"url": url, "jsonPath": "$.status.version", "jsonValue": "3.0"}
    )
    assert wrong["status"] == "DOWN" and wrong["error"].startswith("JSON_VALUE")
    absent = await check(pctx, "HTTP", {"url": url, "jsonPath": "$.nope"})
    assert absent["status"] == "DOWN" and "not found" in absent["error"]
    not_json = await check(pctx, "HTTP", {"url": http_server.base + "/", "jsonPath": "$.a"})
    assert not_json["error"] == "JSON_PATH: body is not JSON"


async def test_redirects_are_followed_or_not(pctx, http_server):
    url = f"{http_server.base}/redirect?to=/json"
    followed = await check(pctx, "HTTP", {"url": url, "keyword": "version"})
    assert followed["status"] == "UP" and followed["http_status"] == 200
    not_followed = await check(pctx, "HTTP", {"url": url, "followRedirects": False})
    assert not_followed["http_status"] == 302
    assert not_followed["status"] == "UP"  # 3xx is within the default 200-399
    loop = await check(pctx, "HTTP", {"url": http_server.base + "/loop"})
    assert loop["status"] == "DOWN" and loop["error"].startswith("TOO_MANY_REDIRECTS")


async def test_a_server_that_never_answers_times_out(pctx, http_server):
    started = time.monotonic()
    result = await check(pctx, "HTTP", {"url": http_server.base + "/slow"}, timeout=0.5)
    assert time.monotonic() - started < 2
    assert result["status"] == "DOWN"
    assert result["error"].startswith("TIMEOUT")


async def test_closed_port_is_down_with_connect_error(pctx):
    server = await HTTPServer().start()
    port = server.port
    await server.stop()
    result = await check(pctx, "HTTP", {"url": f"http://127.0.0.1:{port}/"})
    assert result["status"] == "DOWN"
    assert result["error"].startswith("CONNECT_ERROR")


async def test_body_read_is_capped(pctx, http_server):
    # The keyword sits after 3 MB: the probe stops reading at its 1 MB cap.
    result = await check(pctx, "HTTP", {"url": http_server.base + "/big", "keyword": "NEEDLE"})
    assert result["status"] == "DOWN"
    assert "capped" in result["error"]


async def test_basic_auth_and_secret_headers_come_from_encrypted_secrets(
    pctx, http_server, keyring
):
    config = {
        "url": http_server.base + "/auth",
        "basicAuth": {"username": "alice", "password": "********"},
        "headers": {"X-Api-Key": "********", "X-Plain": "visible"},
        "secretHeaders": ["X-Api-Key"],
    }
    secrets = keyring.encrypt_json(
        {"basicAuthPassword": "s3cret", "secretHeaders": {"X-Api-Key": "k-123"}}
    )
    without = await check(pctx, "HTTP", config)
    assert without["http_status"] == 401 and without["status"] == "DOWN"
    result = await check(pctx, "HTTP", config, secrets=secrets)
    assert result["status"] == "UP", result
    sent = http_server.requests[-1]["headers"]
    assert sent["x-api-key"] == "k-123" and sent["x-plain"] == "visible"


async def test_credentials_are_not_sent_to_another_origin_on_redirect(pctx, http_server):
    other = await HTTPServer().start()
    try:
        config = {
            "url": f"{http_server.base}/redirect?to={other.base}/echo",
            "headers": {"Authorization": "Bearer top"},
        }
        result = await check(pctx, "HTTP", config)
        assert result["status"] == "UP"
        assert "authorization" not in other.requests[-1]["headers"]
    finally:
        await other.stop()


async def test_slow_answer_is_degraded(pctx, http_server):
    result = await check(
        pctx, "HTTP", {"url": http_server.base + "/delay?s=0.15", "degradedAboveMs": 50}
    )
    assert result["status"] == "DEGRADED"
    assert result["error"].startswith("SLOW")


async def test_https_verified_with_tls_timing_and_certificate_expiry(pctx, https_server):
    result = await check(pctx, "HTTP", {"url": https_server.base + "/"})
    assert result["status"] == "UP", result
    assert result["tls_ms"] is not None and result["tls_ms"] > 0
    expires = datetime.fromisoformat(result["certificate_expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) < timedelta(days=91)


async def test_https_untrusted_certificate_fails_unless_verification_is_off(
    pctx, keyring, https_server
):
    from api.core.netguard import Guard
    from workers.probes.base import ProbeContext

    strict = ProbeContext(guard=Guard(True), keyring=keyring)  # does not trust the test CA
    refused = await check(strict, "HTTP", {"url": https_server.base + "/"})
    assert refused["status"] == "DOWN"
    assert refused["error"].startswith("TLS_ERROR")
    relaxed = await check(strict, "HTTP", {"url": https_server.base + "/", "verifyTls": False})
    assert relaxed["status"] == "UP"
    assert relaxed["certificate_expires_at"] is not None  # read even when not verified


async def test_certificate_near_expiry_makes_https_degraded(pctx, ca):
    server = await HTTPServer(server_context(ca, days=3)).start()
    try:
        result = await check(pctx, "HTTP", {"url": server.base + "/"}, certDegradedDays=7)
        assert result["status"] == "DEGRADED"
        assert result["error"].startswith("CERT_EXPIRING")
    finally:
        await server.stop()
