"""Status page fixtures: the live uvicorn server (tests.live.server) for statusPageChanged."""

from __future__ import annotations

from tests.live.server import live, start_live  # noqa: F401 - fixtures
