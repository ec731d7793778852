"""Every migration of the platform's apps can be reversed (docs/operations.md, "Upgrade"): a
RunPython needs reverse_code (migrations.RunPython.noop when there is nothing to undo), a RunSQL
needs reverse_sql. An exception goes in IRREVERSIBLE with the reason."""
from django.db import migrations
from django.db.migrations.loader import MigrationLoader

PROJECT_APPS = {"mttq_platform", "orgtree", "plans", "reviews", "inspections", "sync"}

# (app, migration name) -> why it cannot be reversed.
IRREVERSIBLE: dict[tuple[str, str], str] = {}


def operations(operation):
    yield operation
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        for inner in operation.database_operations:
            yield from operations(inner)


def irreversible(migration_items) -> list[str]:
    return [
        f"{app}.{name}: {type(operation).__name__}"
        for (app, name), migration in migration_items
        for top in migration.operations
        for operation in operations(top)
        if not operation.reversible and (app, name) not in IRREVERSIBLE
    ]


def test_every_migration_of_the_platform_can_be_reversed():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = sorted((key, migration) for key, migration in loader.disk_migrations.items() if key[0] in PROJECT_APPS)

    assert {app for (app, _name), _migration in ours} == PROJECT_APPS  # the loader found them all
    assert irreversible(ours) == []


def test_the_check_finds_a_data_migration_without_reverse_code():
    def forwards(apps, schema_editor):
        pass

    migration = migrations.Migration("0099_fill", "plans")
    migration.operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL("UPDATE x SET y = 1")]),
        migrations.RunPython(forwards),
    ]

    assert irreversible([(("plans", "0099_fill"), migration)]) == ["plans.0099_fill: RunSQL", "plans.0099_fill: RunPython"]
