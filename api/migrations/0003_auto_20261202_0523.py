from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from api.statuspages.models import UpdateState, Visibility
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_auto_20261202_0450')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusPage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='status_pages', on_delete=OnDelete.CASCADE)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('logo_url', fields.CharField(null=True, max_length=500)),
                ('visibility', fields.CharEnumField(default=Visibility.PUBLIC, description='PUBLIC: PUBLIC\nPASSWORD: PASSWORD', enum_type=Visibility, max_length=16)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('regions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'status_pages', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusPageComponent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('models.StatusPage', source_field='page_id', db_constraint=True, to_field='id', related_name='components', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('target_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'status_page_components', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One line of a page: a name and the targets whose status it summarises.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusUpdate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('models.StatusPage', source_field='page_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('incident', fields.ForeignKeyField('models.Incident', source_field='incident_id', null=True, db_constraint=True, to_field='id', related_name='status_updates', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=200)),
                ('message', fields.TextField(unique=False)),
                ('state', fields.CharEnumField(description='INVESTIGATING: INVESTIGATING\nIDENTIFIED: IDENTIFIED\nMONITORING: MONITORING\nRESOLVED: RESOLVED', enum_type=UpdateState, max_length=16)),
                ('posted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'status_updates', 'app': 'models', 'indexes': [Index(fields=['page_id', 'posted_at'])], 'pk_attr': 'id', 'table_description': 'A message posted by a member (about an incident, or the page as a whole).'},
            bases=['Model'],
        ),
    ]
