"""Events of the reviews app.

``report_data_changed`` is sent (inside the writing transaction) after anything that changes what a
report contributes to the roll-up: its progress rows, indicator values, status or waiver. Services
that write reports send it; the roll-up subscribes, so writers need not know how totals are kept.
"""
from django.dispatch import Signal

# kwargs: report_ids (list[int])
report_data_changed = Signal()
