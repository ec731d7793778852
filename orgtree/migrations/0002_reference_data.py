from django.db import migrations


def forwards(apps, schema_editor):
    from orgtree.reference_data import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("orgtree", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
