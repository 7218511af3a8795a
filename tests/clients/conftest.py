"""Client-library checks (tests/clients/*): the live server fixture of tests/live."""

from __future__ import annotations

from tests.live.conftest import _distinct_ids  # noqa: F401 - autouse fixture
from tests.live.server import live, start_live  # noqa: F401 - fixtures
