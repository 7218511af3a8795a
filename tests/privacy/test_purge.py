"""After the grace period the purge deletes every row of the account and of the
workspaces it alone owns, walking every registered model; invoices stay, pseudonymised."""

from __future__ import annotations

import json
from datetime import timedelta

from api.accounts.models import User
from api.billing.models import Order
from api.core import clock
from api.privacy import graph
from api.privacy.ledger import ledger_path
from api.privacy.models import DeletionLedger
from api.privacy.purge import pseudonym
from api.targets.models import Target
from api.workspaces.models import Membership, Role, Workspace
from tests.factories.accounts import add_member, create_account
from tests.factories.targets import create_target
from tests.privacy.helpers import confirm_deletion, fill_account
from workers.jobs.purge import purge_deleted_accounts


async def rows_mentioning(text: str) -> dict[str, int]:
    """Rows of every model whose any column contains `text` (e-mail scan)."""
    found: dict[str, int] = {}
    for name, model in graph.models().items():
        n = 0
        for row in await model.all().values():
            if text in json.dumps(row, default=str):
                n += 1
        if n:
            found[name] = n
    return found


async def rows_referencing(roots: dict[str, set[int]]) -> dict[str, int]:
    """Rows of every model holding a foreign key to one of the given root rows."""
    found: dict[str, int] = {}
    for rel in graph.relations():
        ids = roots.get(rel.parent.__name__)
        if not ids:
            continue
        n = await rel.child.filter(**{f"{rel.column}__in": list(ids)}).count()
        if n:
            found[f"{rel.child.__name__}.{rel.field}"] = n
    return found


async def link_rows_referencing(rows: dict[str, set[int]]) -> dict[str, int]:
    """Rows of every many-to-many table pointing at one of the given rows (by model)."""
    found: dict[str, int] = {}
    for link in graph.m2m_links():
        for side, key in ((link.model, link.own_column), (link.other, link.other_column)):
            ids = rows.get(side.__name__)
            if not ids:
                continue
            sql = (
                f"SELECT COUNT(*) AS n FROM {link.table} WHERE {key} IN ({','.join(map(str, ids))})"
            )
            (count,) = await Target._meta.db.execute_query_dict(sql)
            if count["n"]:
                found[f"{link.table}.{key}"] = int(count["n"])
    return found


async def test_purge_leaves_no_row_of_the_account_in_any_table(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    # Given an account with data everywhere, member of someone else's workspace too
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    ada_rows = await fill_account(ada, resources.keyring)
    bob_filled = await fill_account(bob, resources.keyring)
    await add_member(bob.workspace, ada.user, Role.ADMIN)
    bob_rows = {name: await m.all().count() for name, m in graph.models().items()}
    ada_links = {
        "Target": {ada_rows["target"].id},
        "TargetGroup": {ada_rows["group"].id, ada_rows["standby"].id},
    }
    bob_links = {"Target": {bob_filled["target"].id}, "TargetGroup": {bob_filled["group"].id}}
    assert await link_rows_referencing(ada_links) == {
        "target_group_members.target_groups_id": 1,
        "target_group_members.target_id": 1,
    }
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)

    # When the grace period is over and the purge job runs
    clock.advance(timedelta(days=settings.deletion_grace_days, minutes=1))
    result = await purge_deleted_accounts({"resources": resources})

    # Then no table holds a row referencing her or her sole workspace...
    assert result["accounts"] == 1
    assert await rows_referencing({"User": {ada.user.id}, "Workspace": {ada.workspace.id}}) == {}
    # ...nor a group membership (a table without a model) of her targets or groups,
    # deleted by the purge itself, not left to the database's cascade
    assert await link_rows_referencing(ada_links) == {}
    assert result["target_group_members"] == 1
    assert not await User.filter(id=ada.user.id).exists()
    assert not await Workspace.filter(id=ada.workspace.id).exists()
    # ...nor her e-mail anywhere (the export e-mail is in no table either)
    assert await rows_mentioning("ada@example.test") == {}
    # ...except her invoice, kept with a pseudonym instead of the account
    order = await Order.get(provider_order_id__startswith="cs_", pseudonym__not_isnull=True)
    assert order.user_id is None and order.billing_email is None and order.workspace_id is None
    assert order.pseudonym == pseudonym(settings, "ada@example.test")
    # Bob's workspace and data are intact; only Ada's membership in it went
    assert await Membership.filter(workspace=bob.workspace).count() == 1
    assert await Target.filter(workspace=bob.workspace).count() == 1
    assert await User.filter(id=bob.user.id).exists()
    # The ledger holds her id and a date, nothing else, in the DB and in the file
    ledger = await DeletionLedger.get(user_id=ada.user.id)
    assert ledger.purged_at is not None
    assert f'"userId": {ada.user.id}' in ledger_path(settings).read_text()
    assert "ada@" not in ledger_path(settings).read_text()
    # Every model still has Bob's rows (the purge did not over-reach), memberships too
    assert await link_rows_referencing(bob_links) == {
        "target_group_members.target_groups_id": 1,
        "target_group_members.target_id": 1,
    }
    for name, model in graph.models().items():
        if name in ("User", "Session", "Workspace", "Membership") or bob_rows[name] == 0:
            continue
        assert await model.all().count() >= 1, name


async def test_no_purge_before_the_grace_period_ends(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    ada = await create_account(settings)
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    clock.advance(timedelta(days=settings.deletion_grace_days) - timedelta(hours=1))
    result = await purge_deleted_accounts({"resources": resources})
    assert result["accounts"] == 0
    assert await User.filter(id=ada.user.id).exists()


async def test_legal_hold_blocks_the_purge(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    ada = await create_account(settings)
    await fill_account(ada, resources.keyring)
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    await User.filter(id=ada.user.id).update(legal_hold=True)
    clock.advance(timedelta(days=31))
    assert (await purge_deleted_accounts({"resources": resources}))["accounts"] == 0
    assert await Target.filter(workspace=ada.workspace).count() == 1
    # Lifting the hold lets the next run purge it
    await User.filter(id=ada.user.id).update(legal_hold=False)
    assert (await purge_deleted_accounts({"resources": resources}))["accounts"] == 1
    assert not await Workspace.filter(id=ada.workspace.id).exists()


async def test_a_co_owned_workspace_survives_the_purge(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    ada = await create_account(settings)
    bob = await create_account(settings)
    shared = await Workspace.create(name="Shared")
    await add_member(shared, ada.user, Role.OWNER)
    await add_member(shared, bob.user, Role.OWNER)
    await create_target(shared, name="shared site", config={}, regions=[])
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    clock.advance(timedelta(days=settings.deletion_grace_days, minutes=1))
    await purge_deleted_accounts({"resources": resources})
    assert await Workspace.filter(id=shared.id).exists()
    assert await Target.filter(workspace=shared).count() == 1
    assert not await Membership.filter(user_id=ada.user.id).exists()
