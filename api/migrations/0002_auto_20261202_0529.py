from tortoise import migrations
from tortoise.migrations import operations as ops
from api.targets.models import CheckStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
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
        ops.AlterField(
            model_name='CheckResult',
            name='status',
            field=fields.CharEnumField(description='UP: UP\nDEGRADED: DEGRADED\nDOWN: DOWN\nINCONCLUSIVE: INCONCLUSIVE', enum_type=CheckStatus, max_length=16),
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
