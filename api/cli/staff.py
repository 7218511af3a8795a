"""`hitflow staff grant EMAIL`: staff roles."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.cli import options
from api.cli.options import fail
from api.core.logging import get_logger

staff = typer.Typer(help="Staff roles.", no_args_is_help=True)
log = get_logger("hitflow")


def register(app: typer.Typer) -> None:
    app.add_typer(staff, name="staff")


@staff.command("grant")
def grant(
    email: Annotated[str, typer.Argument(help="E-mail address of an existing user.")],
) -> None:
    """Make an existing user staff."""
    settings = options.settings()
    address = email.strip().lower()

    async def main() -> int:
        from tortoise.exceptions import OperationalError

        from api.accounts.models import User
        from api.db import close_db, init_db

        await init_db(settings)
        try:
            return await User.filter(email=address).update(is_staff=True)
        except OperationalError as exc:
            fail(f"{exc}; has `hitflow migrate` been run?")
        finally:
            await close_db()

    if asyncio.run(main()) == 0:
        fail(f"no user with e-mail {address}")
    log.info("staff_granted", email=address)
    typer.echo(f"{address} is now staff")
