from tortoise import migrations
from tortoise.migrations import operations as ops
from api.incidents.models import IncidentCause
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_auto_20261207_0226')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TargetDependency',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='target_dependencies', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('models.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='dependency_links', on_delete=OnDelete.CASCADE)),
                ('upstream_target', fields.ForeignKeyField('models.Target', source_field='upstream_target_id', null=True, db_constraint=True, to_field='id', related_name='dependent_links', on_delete=OnDelete.CASCADE)),
                ('upstream_group', fields.ForeignKeyField('models.TargetGroup', source_field='upstream_group_id', null=True, db_constraint=True, to_field='id', related_name='dependent_links', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'target_dependencies', 'app': 'models', 'indexes': [Index(fields=['workspace_id']), Index(fields=['upstream_target_id']), Index(fields=['upstream_group_id'])], 'pk_attr': 'id', 'table_description': 'One edge of the dependency graph: `target` depends on a target or on a group'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Incident',
            name='cause_kind',
            field=fields.CharEnumField(default=IncidentCause.DIRECT, description='DIRECT: DIRECT\nUPSTREAM: UPSTREAM', enum_type=IncidentCause, max_length=16),
        ),
        ops.AddField(
            model_name='Incident',
            name='hold_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Incident',
            name='upstream',
            field=fields.ForeignKeyField('models.Incident', source_field='upstream_id', null=True, db_constraint=True, to_field='id', related_name='attached', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Incident',
            index=Index(fields=['upstream_id', 'resolved_at']),
        ),
    ]
