from tortoise import migrations
from tortoise.migrations import operations as ops
from api.targets.models import CheckStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='CheckResult',
            name='status',
            field=fields.CharEnumField(description='UP: UP\nDEGRADED: DEGRADED\nDOWN: DOWN\nINCONCLUSIVE: INCONCLUSIVE', enum_type=CheckStatus, max_length=16),
        ),
        ops.AlterField(
            model_name='TargetRegionState',
            name='status',
            field=fields.CharEnumField(null=True, description='UP: UP\nDEGRADED: DEGRADED\nDOWN: DOWN\nINCONCLUSIVE: INCONCLUSIVE', enum_type=CheckStatus, max_length=16),
        ),
    ]
