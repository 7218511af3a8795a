"""PostgreSQL: check_results becomes a table partitioned by checked_at (SQLite: no-op).

See api/results/partitions.py. The models do not change: the conversion is physical.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from api.results.partitions import partition_check_results


async def _partition(apps: Any, schema_editor: Any) -> None:
    await partition_check_results(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0005_month_rollups')]

    initial = False

    operations = [ops.RunPython(_partition)]
