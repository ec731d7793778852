from django.db import migrations


def seed(apps, schema_editor):
    from inspections import reference_data

    reference_data.seed(apps)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
