"""The `hitflow` command line: the composition root that starts the API and the workers.

One module per command group (run, db, staff, privacy, billing); what they share is in `options`.
"""

from __future__ import annotations

import os

import typer

from api.cli import billing, db, privacy, run, staff

app = typer.Typer(help="Hitflow: uptime and performance monitoring.", no_args_is_help=True)
run.register(app)  # up, api, worker, probe
db.register(app)  # migrate
staff.register(app)  # staff grant
privacy.register(app)  # backup, restore, purge
billing.register(app)  # plan set


def main() -> None:
    """The `hitflow` console script."""
    # Everything a Hitflow process writes (the SQLite database and its journal, the
    # embedded Redis's socket, the dev key, backups, exports) is for its owner only:
    # files 0600, folders 0700.
    os.umask(0o077)
    app()
