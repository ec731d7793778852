"""Smoke of the embedded defaults: migrate, answer one request, and check the broker answers.

Run by ``make smoke-embedded`` under ``python -m mttq_platform.embedded``, which starts and stops
the embedded PostgreSQL and Redis around it.
"""
import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mttq_platform.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)
    response = Client(HTTP_HOST="localhost").get("/accounts/login/")
    if response.status_code != 200:
        print(f"smoke: login page answered {response.status_code}", file=sys.stderr)
        return 1
    from mttq_platform.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=3)
    print(f"smoke: ok (database {os.environ['DATABASE_URL'].split('?')[0]}, broker {os.environ['CELERY_BROKER_URL']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
