"""The platform's Celery worker as tests/platform/test_faults.py runs it in a subprocess:
``python -m tests.platform.fault_worker <batch units> <worker name>``.

Two test-only changes, made here so that the product has no test switch: derivation batches of
``<batch units>`` units (a small subtree then takes many batches, so the worker can be killed
between two of them), and a message left unacknowledged by a dead worker is handed out again
after 2 s instead of Redis's one-hour visibility timeout (checked every second).
"""
import os
import sys

REDELIVERY = {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}


def main(batch_units: int, name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mttq_platform.settings")
    import django

    django.setup()
    from mttq_platform.celery import app
    from plans.services import derivation

    derivation.BATCH_UNITS = batch_units
    app.conf.broker_transport_options = REDELIVERY
    # One process (solo pool): SIGKILL to it is the whole worker dying in the middle of a task.
    app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", f"--hostname={name}@%h",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
