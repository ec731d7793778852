"""Figures of plans (issue 3): deriving every unit's draft plan from the central plan, the whole
country at once, beside per-object saves of the same rows (timed on a sample and extrapolated) and
beside a plain PostgreSQL COPY of exactly the rows ours wrote (the physical bound).

The central plan is the real seed imported into the central committee and issued. Each
measurement runs in a transaction that is rolled back, so the database is left as it was.
"""
from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from bench.context import BenchContext
from bench.core import BenchError, Comparison, Measurement, QueryCounter, figure
from mttq_platform.models import AuditLog
from orgtree.models import Membership, OrgUnit, Role, UnitKind
from plans.models import DerivationJob, DocumentStatus, LegalBasis, PlanDocument, Responsibility, Section, Task, TaskParty
from plans.services import derivation
from plans.services.importing import import_plan_file

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
WRITTEN = (PlanDocument, Section, LegalBasis, Responsibility, Task, TaskParty, AuditLog)
NAIVE_SAMPLE_PROVINCE = "11"  # per-object saves are timed on Điện Biên's first district and its communes


class PerObjectSaves(derivation._AuditedCopy):
    """The same rows, each saved on its own: an INSERT per row and the audit signal's INSERT.

    The rows arrive as the COPY lines ours writes and are read back into values first (a few
    microseconds a row, beside a few hundred for the two INSERTs)."""

    def write(self, model, columns, lines, audits):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        for line in lines:
            row = {name: from_copy(fields[name], value) for name, value in zip(columns, line.split("\t"))}
            model(**row).save(force_insert=True)

    def flush(self):
        pass  # the audit signal wrote the audit rows with the rows


_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def from_copy(field, text: str):
    """A value of ``field`` from COPY's text format."""
    if text == "\\N":
        return None
    text = _UNESCAPE.sub(lambda match: _UNESCAPED[match.group(1)], text)
    if isinstance(field, models.JSONField):
        return json.loads(text)
    if isinstance(field, models.BooleanField):
        return text == "t"
    return field.to_python(text)


def central_plan_and_user():
    central = OrgUnit.objects.get(code="TW")
    user = get_user_model().objects.create_user("bench.central")
    Membership.objects.create(user=user, unit=central, role=Role.objects.get(code="chair"))
    plan = import_plan_file(SEED, central, actor=user)
    PlanDocument.objects.filter(pk=plan.pk).update(status=DocumentStatus.ISSUED)
    return PlanDocument.objects.get(pk=plan.pk), user


def max_ids() -> dict:
    return {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for model in WRITTEN}


def timed(fn) -> tuple[float, int, object]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = fn()
        return time.perf_counter() - started, counter.count, result


def derive(plan, root, user, writer_class=None) -> DerivationJob:
    job = DerivationJob.objects.create(source_plan=plan, root_unit=root, requested_by=user)
    with derivation.acting_as(user, "job"):
        derivation._SubtreeDerivation(job, writer_class).run()
    job.refresh_from_db()
    if job.created_plans != job.total:
        raise BenchError(f"derive_country: {job.created_plans} plans made for {job.total} units")
    return job


def dump_new_rows(before: dict, directory: str) -> dict:
    """The rows written since ``before``, per table, in COPY's text format (files: ~GBs at full scale)."""
    dumps = {}
    with connection.cursor() as cursor:
        for model in WRITTEN:
            path = Path(directory) / model._meta.db_table
            with open(path, "wb") as out:
                cursor.copy_expert(f"COPY (SELECT * FROM {model._meta.db_table} WHERE id > {int(before[model])}) TO STDOUT", out)
            dumps[model] = path
    return dumps


def copy_back(dumps: dict) -> int:
    """COPY the dumped rows into their tables; returns the number of rows."""
    rows = 0
    with connection.cursor() as cursor:
        for model, path in dumps.items():
            with open(path, "rb") as data:
                cursor.copy_expert(f"COPY {model._meta.db_table} FROM STDIN", data)
            rows += cursor.rowcount
    return rows


@figure("Derive every unit's plan from the central plan (the whole tree)")
def derive_country(ctx: BenchContext) -> Comparison:
    plan, user = central_plan_and_user()
    central = plan.unit
    units = OrgUnit.objects.filter(kind__category__in=derivation.DERIVED_UNIT_CATEGORIES).exclude(pk=central.pk).count()

    with tempfile.TemporaryDirectory() as directory:
        with transaction.atomic():
            before = max_ids()
            seconds, queries, job = timed(lambda: derive(plan, central, user))
            tasks = Task.objects.filter(pk__gt=before[Task]).count()
            rows = {model._meta.model_name: model.objects.filter(pk__gt=before[model]).count() for model in WRITTEN}
            dumps = dump_new_rows(before, directory)
            transaction.set_rollback(True)
        ours = Measurement(seconds, queries, 1, result=job.created_plans)

        with transaction.atomic():
            copy_seconds, copy_queries, copied = timed(lambda: copy_back(dumps))
            transaction.set_rollback(True)
    if copied != sum(rows.values()):
        raise BenchError(f"derive_country: COPY wrote {copied} rows, ours {sum(rows.values())}")

    sample_root = (OrgUnit.objects.filter(parent__code=NAIVE_SAMPLE_PROVINCE, kind__category=UnitKind.Category.FRONT_COMMITTEE)
                   .order_by("lft").first())
    with transaction.atomic():
        naive_seconds, naive_queries, sample = timed(lambda: derive(plan, sample_root, user, PerObjectSaves))
        transaction.set_rollback(True)
    naive = Measurement(naive_seconds, naive_queries, 1).scaled(units / sample.total, sample.total)

    copy_ratio = seconds / copy_seconds
    note = (f"{job.created_plans:,} draft plans ({tasks:,} tasks, {sum(rows.values()):,} rows with their audit rows) "
            f"derived level by level from the central plan (the seed) by plans.derive_subtree's code: "
            f"{seconds:,.1f} s. A plain COPY of the same rows: {copy_seconds:,.1f} s, so ours is {copy_ratio:.2f}x "
            f"the physical bound. Naive = per-object save() of the same rows with the audit signal, timed on "
            f"{sample.total} units (district {sample_root.code} and below, deriving from the central plan) and "
            f"extrapolated per unit to {units:,}")
    return Comparison(ours, naive, note, extra={
        "plans": job.created_plans, "tasks": tasks, "rows": rows, "copy_seconds": copy_seconds,
        "ours_over_copy": copy_ratio, "naive_sample_units": sample.total,
    })
