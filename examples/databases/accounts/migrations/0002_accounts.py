from django.db import migrations


def create_accounts(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    Account.objects.bulk_create([Account(name="alice", balance=100),
                                 Account(name="bob", balance=100)])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_accounts, migrations.RunPython.noop)]
