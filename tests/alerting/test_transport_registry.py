"""TRANSPORTS: every channel kind a user can create has a transport that can deliver."""

from __future__ import annotations

import inspect

from api.notifications.channels import SPECS
from api.notifications.models import ChannelKind
from api.notifications.transports import TRANSPORTS


def test_every_channel_kind_has_a_transport() -> None:
    assert set(TRANSPORTS) == set(ChannelKind) == set(SPECS)


def test_each_transport_follows_the_contract() -> None:
    for kind, transport in TRANSPORTS.items():
        assert inspect.iscoroutinefunction(transport.notify), kind
        assert list(inspect.signature(transport.notify).parameters) == [
            "http",
            "config",
            "secrets",
            "message",
        ], kind
