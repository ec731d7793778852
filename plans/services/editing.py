"""Editing a plan's tasks from what a person types in the editor.

What is typed is structured with the same parsers the import uses, so an edited task carries the
same data as an imported one: the timeframe's words are parsed into its schedule
(``parse_timeframe``), and the lead and coordinating parties into ``TaskParty`` rows
(``split_parties`` / ``parse_parties``, one written item a group, as the import saves them).

- ``TaskInput``: a task's editable values as typed (also what a pending amendment keeps).
- ``apply_input`` / ``add_task`` / ``remove_task``: change a task of a draft.
- ``issue_amendment``: the pending edits of an issued plan, applied together inside ONE
  ``guidance.amending`` block: one new version, one dispatch to every derived plan's unit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from mttq_platform.audit import bulk_create_audited
from plans.models import Dispatch, PartyRole, PlanDocument, Section, Task, TaskParty
from plans.parsing import parse_parties, parse_timeframe, split_parties
from plans.services import guidance
from plans.services.importing import _PartyResolver as PartyResolver

ROLES = ((PartyRole.LEAD, "leads"), (PartyRole.COORDINATOR, "coordinators"))


@dataclass(frozen=True)
class TaskInput:
    """A task's editable values as typed: parties as written items (one per group), steps one per
    line. Plain data, so that a pending amendment can keep it in the session."""

    text: str
    number: str = ""
    timeframe_text: str = ""
    leads: tuple[str, ...] = ()
    coordinators: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    output: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TaskInput":
        return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in data.items()})

    @classmethod
    def of(cls, task: Task) -> "TaskInput":
        """The values of a saved task (its parties prefetched, or loaded here)."""
        parties = sorted(task.parties.all(), key=lambda p: (p.order, p.pk))
        return cls(
            text=task.text, number=task.number, timeframe_text=task.timeframe_text,
            leads=written_items([p for p in parties if p.role == PartyRole.LEAD]),
            coordinators=written_items([p for p in parties if p.role == PartyRole.COORDINATOR]),
            steps=tuple(task.steps), output=task.output,
        )

    def parties(self, role_attribute: str) -> list:
        """The parties as classified, for showing a pending task before it is saved."""
        return [party for written in getattr(self, role_attribute) for party in parse_parties(written)]


def written_items(parties: list[TaskParty]) -> tuple[str, ...]:
    """The items of a party list as written: parties of one group ("HĐND, UBND cùng cấp") joined
    by commas, as the import split them."""
    groups: dict[int, list[str]] = {}
    for party in parties:
        groups.setdefault(party.group, []).append(party.text)
    return tuple(", ".join(texts) for texts in groups.values())


def split_written(value: str) -> tuple[str, ...]:
    """What a person types in a party field: one item a line, or several on a line separated by
    ";" (and " và " between parties, as the import reads a plan)."""
    return tuple(item for line in value.splitlines() for item in split_parties(line))


def apply_input(task: Task, values: TaskInput, resolver: PartyResolver | None = None) -> Task:
    """Save ``values`` on ``task``: its fields, the schedule parsed from the timeframe's words when
    they changed, and its party rows when the written parties changed."""
    guidance.require_local(task.document)
    resolver = resolver or PartyResolver(task.document.unit)
    current = TaskInput.of(task) if task.pk else None
    if current == values:
        return task  # nothing typed differs: no write, no audit row, no version noise
    if task.timeframe_text != values.timeframe_text or (values.timeframe_text and not task.timeframe):
        task.timeframe = (
            parse_timeframe(values.timeframe_text, task.document.directive_year).to_json() if values.timeframe_text else {}
        )
    task.text, task.number, task.timeframe_text = values.text, values.number, values.timeframe_text
    task.steps, task.output = list(values.steps), values.output
    task.save()
    new_parties = []
    for role, attribute in ROLES:
        written = getattr(values, attribute)
        if current is not None and getattr(current, attribute) == written:
            continue
        TaskParty.objects.filter(task=task, role=role).delete()  # one audit row per party removed
        order = 0
        for group, item in enumerate(written):
            for party in parse_parties(item):
                new_parties.append(resolver.task_party(task, role, order, group, party))
                order += 1
    bulk_create_audited(TaskParty, new_parties)
    return task


def add_task(document: PlanDocument, section: Section | None, values: TaskInput,
             resolver: PartyResolver | None = None) -> Task:
    """A new task at the end of ``section`` (the editor shows tasks by section, in order)."""
    last = Task.with_withdrawn.filter(document=document).aggregate(last=Max("order"))["last"]
    task = Task(document=document, section=section, order=(last or 0) + 1, text=values.text)
    return apply_input(task, values, resolver)


def remove_task(task: Task) -> None:
    """Delete a task of a draft; a task of a published plan is withdrawn (``Task.delete``)."""
    guidance.require_local(task.document)
    task.delete()


@dataclass
class PendingEdits:
    """Edits of an issued plan collected in the editor, to be issued as one amendment."""

    changed: dict[int, TaskInput] = field(default_factory=dict)  # task id -> new values
    added: list[tuple[int | None, TaskInput]] = field(default_factory=list)  # (section id, values)
    withdrawn: list[int] = field(default_factory=list)  # task ids

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.withdrawn)


def issue_amendment(document: PlanDocument, actor, edits: PendingEdits, *, note: str = "", due_date=None) -> Dispatch:
    """Apply every pending edit inside one ``guidance.amending`` block: the plan gets exactly one
    new version and one dispatch to every unit whose plan derives from it. Everything or nothing:
    a task withdrawn or a section removed meanwhile refuses the whole amendment."""
    if not edits:
        raise ValidationError(_("Chưa có thay đổi nào để ban hành."))
    with transaction.atomic(), guidance.amending(document, actor, note=note, due_date=due_date) as locked:
        touched = set(edits.changed) | set(edits.withdrawn)
        tasks = {task.pk: task for task in Task.objects.filter(document=locked, pk__in=touched).prefetch_related("parties")}
        sections = {s.pk: s for s in Section.objects.filter(document=locked, pk__in={pk for pk, _v in edits.added if pk})}
        if touched - set(tasks) or {pk for pk, _v in edits.added if pk} - set(sections):
            raise ValidationError(_("Kế hoạch đã thay đổi trong lúc soạn sửa đổi; hãy bỏ các thay đổi và soạn lại."))
        resolver = PartyResolver(locked.unit)
        for pk, values in edits.changed.items():
            if pk not in edits.withdrawn:
                tasks[pk].document = locked
                apply_input(tasks[pk], values, resolver)
        for section_id, values in edits.added:
            add_task(locked, sections.get(section_id), values, resolver)
        for pk in edits.withdrawn:
            remove_task(tasks[pk])
    return Dispatch.objects.get(document=locked, kind=Dispatch.Kind.AMENDMENT, to_version=locked.version)
