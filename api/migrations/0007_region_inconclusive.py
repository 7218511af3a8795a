from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_part')]

    initial = False

    operations = [
        # A region whose latest result was INCONCLUSIVE (api/targets/state.py, overall()).
        ops.AddField(
            model_name='TargetRegionState',
            name='inconclusive',
            field=fields.BooleanField(default=False),
        ),
    ]
