import django.utils.timezone
from django.db import migrations, models


def since_from_audit(apps, schema_editor):
    """Existing memberships start on the day their audit row says they were created (else on the
    day of this migration)."""
    schema_editor.execute(
        """
        UPDATE orgtree_membership m SET since = (a.at AT TIME ZONE %s)::date
          FROM mttq_platform_auditlog a JOIN django_content_type c ON c.id = a.content_type_id
         WHERE c.app_label = 'orgtree' AND c.model = 'membership' AND a.action = 'create' AND a.object_id = m.id::text
        """,
        [django.utils.timezone.get_current_timezone_name()],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgtree", "0004_unit_succession"),
        ("mttq_platform", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="since",
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name="từ ngày"),
        ),
        migrations.RunPython(since_from_audit, migrations.RunPython.noop),
    ]
