"""A workspace's figures in the Prometheus text format: a custom collector registered in a
registry made for one scrape (never the process-wide registry, which holds Hitflow's own
metrics and would mix tenants)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.metrics.service import TargetFigures
from api.targets.models import TargetStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LABELS = ["target_id", "target", "kind", "region"]


class WorkspaceCollector(Collector):
    def __init__(self, figures: list[TargetFigures], ids: dict[int, str]) -> None:
        self.figures = figures
        self.ids = ids  # target pk -> its global id (the id users see in the API)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "hitflow_target_up", "1 when the last check from this region passed.", labels=_LABELS
        )
        status = GaugeMetricFamily(
            "hitflow_target_status",
            "The target's status: 1 for the current state, 0 for the others.",
            labels=["target_id", "target", "kind", "state"],
        )
        duration = GaugeMetricFamily(
            "hitflow_check_duration_seconds",
            "Duration of each phase of the latest check from this region.",
            labels=[*_LABELS, "phase"],
        )
        cert = GaugeMetricFamily(
            "hitflow_target_cert_expiry_timestamp_seconds",
            "Expiry of the certificate seen by the latest check (Unix time).",
            labels=_LABELS,
        )
        uptime = GaugeMetricFamily(
            "hitflow_target_uptime_ratio",
            "Share of passing checks over the window (hourly rollups; maintenance excluded).",
            labels=[*_LABELS, "window"],
        )
        for target in self.figures:
            base = [self.ids[target.id], target.name, target.kind]
            for state in TargetStatus:
                status.add_metric([*base, state.value], 1.0 if target.status == state else 0.0)
            for region, fig in sorted(target.regions.items()):
                labels = [*base, region]
                if fig.up is not None:
                    up.add_metric(labels, float(fig.up))
                for phase, seconds in fig.phases_seconds.items():
                    duration.add_metric([*labels, phase], seconds)
                if fig.cert_expiry is not None:
                    cert.add_metric(labels, fig.cert_expiry.timestamp())
                for window, ratio in fig.uptime.items():
                    uptime.add_metric([*labels, window], ratio)
        yield from (up, status, duration, cert, uptime)


def render(figures: list[TargetFigures], ids: dict[int, str]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkspaceCollector(figures, ids))
    return generate_latest(registry)
