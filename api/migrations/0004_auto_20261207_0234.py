from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_auto_20261207_0226')]

    initial = False

    operations = [
        ops.AddField(
            model_name='StatusPage',
            name='auto_show_incidents',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='StatusPage',
            name='custom_domain',
            field=fields.CharField(null=True, max_length=253),
        ),
        ops.AddField(
            model_name='StatusPage',
            name='domain_token',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='StatusPage',
            name='domain_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StatusPage',
            name='verified_domain',
            field=fields.CharField(null=True, unique=True, max_length=253),
        ),
        ops.AddField(
            model_name='StatusPageComponent',
            name='group',
            field=fields.CharField(null=True, max_length=100),
        ),
    ]
