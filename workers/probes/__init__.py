"""Probes: pure async functions `(config, timeout, pctx) -> Outcome`, no database.

`workers.probes.runner.run_check` wraps them into result dicts.
"""
