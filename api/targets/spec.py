"""The self-contained check spec sent to probe regions (through Redis, arq jobs).

Secrets never travel in plaintext: the spec carries the target's key-ring ciphertext
(`Target.secrets_encrypted`, `{"basicAuthPassword", "secretHeaders"}`) and the probe,
which holds the same key ring, decrypts and merges it in memory
(`workers.probes.base.merge_secrets`).
"""

from __future__ import annotations

from typing import Any

from api.core.crypto import KeyRing

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


def build_spec(target: Any, keyring: KeyRing | None = None) -> dict[str, Any]:
    """What a probe needs to run one check of `target`, and nothing else.

    `keyring` is accepted for symmetry with the probe side; the stored ciphertext is
    already made with the same ring, so it is passed through unchanged.
    """
    kind = target.kind.value if hasattr(target.kind, "value") else str(target.kind)
    return {
        "targetId": int(target.id),
        "kind": kind,
        "config": dict(target.config or {}),
        "secrets": target.secrets_encrypted or None,
        "timeout": float(target.timeout_seconds),
        "interval": int(target.interval_seconds),
        "regions": list(target.regions or []),
        "certDegradedDays": cert_degraded_days(target),
    }


def open_spec_config(spec: dict[str, Any], keyring: KeyRing) -> dict[str, Any]:
    """The config with secrets merged back (probe side, in memory only)."""
    from workers.probes.base import merge_secrets

    secrets = keyring.decrypt_json(spec["secrets"]) if spec.get("secrets") else None
    return merge_secrets(dict(spec.get("config") or {}), secrets)
