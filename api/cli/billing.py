"""`hitflow plan set WORKSPACE PLAN`: an operator assigns a plan, no provider involved."""

from __future__ import annotations

import asyncio

import typer

from api.cli import options
from api.cli.options import USAGE, fail

plan = typer.Typer(help="Workspace plans.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(plan, name="plan")


@plan.command("set")
def set_(
    workspace: str = typer.Argument(help="The workspace's id (number or global id)."),
    name: str = typer.Argument(metavar="PLAN", help="FREE, PRO, BUSINESS or UNLIMITED."),
) -> None:
    """Assign a plan to a workspace. Targets over its limit are paused (newest first) and
    targets paused by an earlier downgrade resumed, by the core worker within minutes."""
    from api.billing import service
    from api.billing.plans import parse_plan
    from api.core.errors import DomainError
    from api.core.ids import decode_or_none
    from api.db import close_db, init_db

    settings = options.settings()
    try:
        chosen = parse_plan(name)
    except DomainError as exc:
        fail(exc.message, USAGE)
    ref = workspace.strip()
    workspace_id = int(ref) if ref.isdigit() and int(ref) < 2**31 else None
    if workspace_id is None:
        workspace_id = decode_or_none(ref, "Workspace")
    if workspace_id is None:
        fail(f"not a workspace id: {workspace!r}", USAGE)

    async def main() -> str:
        await init_db(settings)
        try:
            before, after = await service.set_plan(
                settings, workspace_id, chosen, detail=f"hitflow plan set {chosen.value}"
            )
        except DomainError as exc:
            fail(exc.message)
        finally:
            await close_db()
        return f"workspace {workspace_id}: {before.value} -> {after.value}"

    typer.echo(asyncio.run(main()))
