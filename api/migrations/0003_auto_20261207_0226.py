from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_auto_20261202_0557')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TargetGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='target_groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('targets', fields.ManyToManyField('models.Target', unique=True, db_constraint=True, through='target_group_members', forward_key='target_id', backward_key='target_groups_id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'target_groups', 'app': 'models', 'unique_together': (('workspace_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A named set of targets of one workspace (e.g. "EU edge"): usable as a dependency'},
            bases=['Model'],
        ),
    ]
