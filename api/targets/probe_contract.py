"""The probe contract: what the API and the core worker hand to probe regions and back.

- `build_spec(target)`: the self-contained wire spec of one check (the scheduler stores
  it, a probe job receives it as `{"spec": ..., "due": due_ms}`). Secrets never travel
  in plaintext: the spec carries the target's key-ring ciphertext
  (`Target.secrets_encrypted`) and the probe, which holds the same key ring, merges it
  back in memory with `open_spec_config`.
- RESULTS_STREAM: the Redis stream probes XADD their results to and the core worker
  ingests from.

Both sides import this module (and only this one) for the contract; workers/probes
never read the database.
"""

from __future__ import annotations

from typing import Any

from api.core.crypto import KeyRing
from api.targets.secrets import merge_secrets

RESULTS_STREAM = "hitflow:results"

# An HTTPS certificate closer than this to expiry makes an HTTP check DEGRADED when the
# alert policy names no `certificateExpiryDays` (the smallest of those days otherwise).
DEFAULT_CERT_DEGRADED_DAYS = 7


def alert_policy(target: Any) -> dict[str, Any]:
    policy = getattr(target, "alert_policy", None)
    return policy if isinstance(policy, dict) else {}


def cert_degraded_days(target: Any) -> int:
    days = alert_policy(target).get("certificateExpiryDays")
    if isinstance(days, list) and days:
        try:
            return min(int(d) for d in days)
        except (TypeError, ValueError):
            pass
    return DEFAULT_CERT_DEGRADED_DAYS


def build_spec(target: Any) -> dict[str, Any]:
    """What a probe needs to run one check of `target`, and nothing else."""
    return {
        "targetId": int(target.id),
        "kind": str(target.kind),
        "config": dict(target.config or {}),
        "secrets": target.secrets_encrypted or None,
        "timeout": float(target.timeout_seconds),
        "interval": int(target.interval_seconds),
        "regions": list(target.regions or []),
        "certDegradedDays": cert_degraded_days(target),
    }


def open_spec_config(spec: dict[str, Any], keyring: KeyRing | None) -> dict[str, Any]:
    """The config with its secrets merged back (probe side, in memory only, never logged).

    Without a key ring the probe runs with the placeholders (the check then fails).
    """
    config: dict[str, Any] = spec.get("config") or {}
    if not spec.get("secrets") or keyring is None:
        return config
    return merge_secrets(config, keyring.decrypt_json(spec["secrets"]))
