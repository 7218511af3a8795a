from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_wave3')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='ResultRollup',
            options={'table': 'result_rollups', 'app': 'models', 'unique_together': (('target', 'region', 'span', 'hour'),), 'indexes': [Index(fields=['target_id', 'span', 'hour'])], 'pk_attr': 'id', 'table_description': 'Aggregate of one target in one region over an hour (span h), a UTC day (span d) or'},
        ),
        # Monthly rollups (span m) say which of their days were monitored.
        ops.AddField(
            model_name='ResultRollup',
            name='day_mask',
            field=fields.IntField(default=0),
        ),
    ]
