"""The live-update server, for the tests that watch a session's websocket close."""

from __future__ import annotations

from tests.live.server import live, start_live  # noqa: F401 - fixtures
