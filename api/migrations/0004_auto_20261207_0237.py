from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_auto_20261207_0226')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusPageNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('models.StatusPage', source_field='page_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('title', fields.CharField(max_length=300)),
                ('text', fields.TextField(unique=False)),
                ('status', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('fanned_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'status_page_notices', 'app': 'models', 'unique_together': (('page_id', 'key'),), 'pk_attr': 'id', 'table_description': 'One thing subscribers are told about (an incident, an update, a maintenance).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusPageSubscriber',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('models.StatusPage', source_field='page_id', db_constraint=True, to_field='id', related_name='subscribers', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirm_token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('confirm_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unsubscribe_token_hash', fields.CharField(unique=True, max_length=64)),
                ('unsubscribe_token_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'status_page_subscribers', 'app': 'models', 'unique_together': (('page_id', 'email'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusPageWebhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('models.StatusPage', source_field='page_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('host', fields.CharField(max_length=255)),
                ('secrets_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'status_page_webhooks', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A URL that gets a signed POST for each notice of the page (like a webhook channel).'},
            bases=['Model'],
        ),
    ]
