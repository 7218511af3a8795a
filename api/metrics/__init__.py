"""Prometheus metrics: a workspace's targets (GET /metrics) and Hitflow's own (--metrics-port)."""
