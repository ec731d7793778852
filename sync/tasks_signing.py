"""Beat task of signed requests: forget nonces that can no longer be replayed."""
from celery import shared_task

from sync import signing


@shared_task(name="sync.purge_nonces")
def purge_nonces() -> int:
    return signing.purge_nonces()
