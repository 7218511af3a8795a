"""Privacy tests reuse the live-server fixtures to check that deletion closes sockets."""

from __future__ import annotations

from tests.live.server import live, start_live  # noqa: F401 - fixtures
