"""The Celery app: broker from CELERY_BROKER_URL (or the embedded Redis), tasks found in every app."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mttq_platform.settings")

app = Celery("mttq_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
