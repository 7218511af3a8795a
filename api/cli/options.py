"""What every `hitflow` command shares: its settings, its exit on error, the listen options."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

from api.core.logging import configure_logging
from api.settings import Settings, SettingsError, load_settings

Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        help="Serve Hitflow's own Prometheus metrics on this port (HITFLOW_METRICS_HOST)."
    ),
]

# Exit statuses: 1 = the command failed, 2 = it was called wrongly (a bad setting or argument).
FAILED = 1
USAGE = 2


def fail(message: str, status: int = FAILED) -> NoReturn:
    """Print `hitflow: message` on stderr and exit with this status (no traceback)."""
    typer.echo(f"hitflow: {message}", err=True)
    raise typer.Exit(status)


def settings(**overrides: Any) -> Settings:
    """The HITFLOW_* settings (a bad one exits 2, naming the variable), logging configured."""
    try:
        loaded = load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc), USAGE)
    configure_logging(loaded.log_level, loaded.log_json)
    return loaded
