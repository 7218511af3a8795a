from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_auto_20261207_0226')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlaReportSchedule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.OneToOneField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='sla_report_schedule', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.TargetGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='sla_schedules', on_delete=OnDelete.CASCADE)),
                ('recipient_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('objective', fields.FloatField(default=99.9)),
                ('exclude_maintenance', fields.BooleanField(default=True)),
                ('last_sent_month', fields.CharField(null=True, max_length=7)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sla_report_schedules', 'app': 'models', 'pk_attr': 'id', 'table_description': "Last month's report, e-mailed early each month to members of the workspace."},
            bases=['Model'],
        ),
        # SLA reports read the failing hourly rollups of a year of targets: a partial
        # index of them holding every column read (api/results/sql.FAILING_HOURS_INDEX).
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS result_rollups_failing_hours ON result_rollups "
            "(target_id, hour, region, checks, failures) WHERE span = 'h' AND failures > 0",
            reverse_sql="DROP INDEX IF EXISTS result_rollups_failing_hours",
        ),
    ]
