from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from api.billing.models import SubscriptionStatus
from api.statuspages.models import UpdateState, Visibility
from api.targets.models import CheckStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BadgeToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target', fields.OneToOneField('models.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='badge_token', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'badge_tokens', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
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
            name='RecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recovery_codes', 'app': 'models', 'unique_together': (('user', 'code_hash'),), 'pk_attr': 'id', 'table_description': 'A single-use recovery code, kept only as its SHA-256 hash.'},
            bases=['Model'],
        ),
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
            name='TotpDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='totp_devices', on_delete=OnDelete.CASCADE)),
                ('secret_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_step', fields.BigIntField(default=0)),
            ],
            options={'table': 'totp_devices', 'app': 'models', 'unique_together': (('user',),), 'pk_attr': 'id', 'table_description': 'A TOTP authenticator (one per user). The secret is encrypted with the key ring.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebAuthnCredential',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='webauthn_credentials', on_delete=OnDelete.CASCADE)),
                ('credential_id', fields.CharField(unique=True, max_length=1400)),
                ('public_key', fields.TextField(unique=False)),
                ('sign_count', fields.BigIntField(default=0)),
                ('name', fields.CharField(max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webauthn_credentials', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A passkey or security key: its public key and last signature counter.'},
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
        ops.AlterField(
            model_name='CheckResult',
            name='status',
            field=fields.CharEnumField(description='UP: UP\nDEGRADED: DEGRADED\nDOWN: DOWN\nINCONCLUSIVE: INCONCLUSIVE', enum_type=CheckStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Order',
            name='receipt_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='PersonalAccessToken',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PersonalAccessToken',
            name='expiry_notice_sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='ip',
            field=fields.CharField(null=True, max_length=45),
        ),
        ops.AddField(
            model_name='Target',
            name='state_checked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Target',
            name='state_version',
            field=fields.IntField(default=0),
        ),
        ops.AlterField(
            model_name='TargetRegionState',
            name='status',
            field=fields.CharEnumField(null=True, description='UP: UP\nDEGRADED: DEGRADED\nDOWN: DOWN\nINCONCLUSIVE: INCONCLUSIVE', enum_type=CheckStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Workspace',
            name='require_two_factor',
            field=fields.BooleanField(default=False),
        ),
    ]
