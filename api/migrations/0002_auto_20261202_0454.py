from tortoise import migrations
from tortoise.migrations import operations as ops
from api.billing.models import SubscriptionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillingEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='billing_events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('kind', fields.CharField(max_length=40)),
                ('plan', fields.CharField(null=True, max_length=16)),
                ('status', fields.CharField(null=True, max_length=16)),
                ('detail', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'billing_events', 'app': 'models', 'pk_attr': 'id', 'table_description': "One change of a workspace's billing, shown to its OWNERs."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillingPause',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='billing_pauses', on_delete=OnDelete.CASCADE)),
                ('target', fields.OneToOneField('models.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='billing_pause', on_delete=OnDelete.CASCADE)),
                ('paused_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_pauses', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A target paused because its workspace fell to a smaller plan: resumed on upgrade.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.OneToOneField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='subscription', on_delete=OnDelete.CASCADE)),
                ('plan', fields.CharField(max_length=16)),
                ('paid_plan', fields.CharField(null=True, max_length=16)),
                ('status', fields.CharEnumField(default=SubscriptionStatus.NONE, description='NONE: NONE\nACTIVE: ACTIVE\nPAST_DUE: PAST_DUE\nCANCELED: CANCELED', enum_type=SubscriptionStatus, max_length=16)),
                ('provider', fields.CharField(null=True, max_length=16)),
                ('customer_id', fields.CharField(null=True, max_length=128)),
                ('subscription_id', fields.CharField(null=True, db_index=True, max_length=128)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('current_period_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_at_period_end', fields.BooleanField(default=False)),
                ('past_due_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('provider_updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reconcile_pending', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_subscriptions', 'app': 'models', 'pk_attr': 'id', 'table_description': "A workspace's plan and its subscription at a provider (one row per workspace)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharField(max_length=16)),
                ('event_id', fields.CharField(max_length=128)),
                ('event_type', fields.CharField(max_length=80)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_webhook_events', 'app': 'models', 'unique_together': (('provider', 'event_id'),), 'pk_attr': 'id', 'table_description': 'A provider event already processed: a redelivery is answered without effect.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='receipt_url',
            field=fields.CharField(null=True, max_length=500),
        ),
    ]
