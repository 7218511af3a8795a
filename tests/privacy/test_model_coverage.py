"""Every registered model is covered by the purge and, when it holds monitoring
history, by retention: a model added later cannot be forgotten."""

from __future__ import annotations

from api.privacy import graph, retention


async def test_every_model_is_purged_with_its_owner_or_kept_on_purpose(db) -> None:
    # A model that does not reach a user or a workspace through a non-SET_NULL foreign
    # key would survive an account purge: it must be listed (with why) in RETAINED_MODELS.
    models = graph.models()
    assert {"User", "Workspace", "Target", "CheckResult", "AuditEvent"} <= set(models)
    forgotten = [
        name
        for name, model in sorted(models.items())
        if not graph.owned_path(model) and name not in graph.RETAINED_MODELS
    ]
    assert forgotten == [], f"not purged with an account or workspace: {forgotten}"
    # ...and the retained list names only models that exist
    assert set(graph.RETAINED_MODELS) <= set(models)


async def test_every_monitoring_model_has_a_retention_rule(db) -> None:
    # Anything that hangs off a target is monitoring data: it must age out (a rule with
    # a timestamp that exists) or be declared state/configuration in RETENTION_EXEMPT.
    models = graph.models()
    ruled = {r.model: r for r in retention.RULES}
    missing = []
    for name, model in sorted(models.items()):
        if not graph.reaches(model, "Target") or name in retention.RETENTION_EXEMPT:
            continue
        rule = ruled.get(name)
        if rule is None or rule.field not in model._meta.fields_map:
            missing.append(name)
    assert missing == [], f"monitoring models without a retention rule: {missing}"


async def test_every_many_to_many_table_goes_with_its_owner_and_is_ruled(db) -> None:
    # A many-to-many table has no model, so the walks above do not see it: both sides must
    # be purged with an owner (the purge then deletes its rows with either side, see
    # test_purge), and a table touching monitoring models must be declared configuration
    # (RETENTION_EXEMPT, which names the table) or history (a rule would need a model).
    links = graph.m2m_links()
    assert "target_group_members" in {link.table for link in links}
    for link in links:
        for side in (link.model, link.other):
            assert graph.owned_path(side), f"{link.table}: {side.__name__} is never purged"
        if graph.reaches(link.model, "Target") or graph.reaches(link.other, "Target"):
            assert link.table in retention.RETENTION_EXEMPT, link.table
