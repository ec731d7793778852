"""The Celery app: broker from CELERY_BROKER_URL (or the embedded Redis), tasks found in every app."""
import os

import django
from celery import Celery, signals

from mttq_platform import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mttq_platform.settings")

app = Celery("mttq_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Request ids and logs in the worker (mttq_platform.logs) ---
@signals.setup_logging.connect
def _use_django_logging(**kwargs):
    """Django's LOGGING (JSON or text, with the request id) is the one log configuration: with a
    receiver here Celery leaves the root logger alone instead of installing its own format."""
    from django.apps import apps

    if not apps.ready:  # beat never sets Django up otherwise; the worker would a little later
        django.setup()


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    request_id = logs.current_request_id()
    if request_id and headers is not None:
        headers.setdefault(logs.TASK_HEADER, request_id)


@signals.task_prerun.connect
def _bind_request_id(task=None, **kwargs):
    if task.request.is_eager:  # run in the caller's process: the caller's request id still holds
        return
    request_id = getattr(task.request, logs.TASK_HEADER, None)
    if request_id:
        logs.bind(request_id)
    else:
        logs.clear()


@signals.task_postrun.connect
def _forget_request_id(task=None, **kwargs):
    if not task.request.is_eager:
        logs.clear()
# --- end request ids ---
