"""A plan document read whole, in the order it is written: the shape both the detail page and the
.docx export walk through.

It costs a fixed number of queries whatever the number of sections and tasks (sections, tasks,
parties with their bodies/levels/units, legal bases, responsibilities), so a plan of 16 tasks and one
of 160 load alike.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from plans.models import PartyRole, PlanDocument, Section, Task, TaskParty

RESPONSIBILITIES_TITLE = "TỔ CHỨC THỰC HIỆN"


@dataclass
class SectionOutline:
    section: Section
    tasks: list[Task] = field(default_factory=list)
    subsections: list["SectionOutline"] = field(default_factory=list)
    # Section III ("TỔ CHỨC THỰC HIỆN"): the responsibilities are written at its end.
    holds_responsibilities: bool = False

    @property
    def short_number(self) -> str:
        """"II.2" is written "2." under "II."; a top-level section keeps its Roman numeral."""
        return self.section.number.rsplit(".", 1)[-1]


@dataclass
class PlanOutline:
    document: PlanDocument
    sections: list[SectionOutline]
    # Tasks not attached to any section (a plan without headings): written after the sections.
    loose_tasks: list[Task]
    legal_bases: list
    responsibilities: list

    @property
    def task_count(self) -> int:
        return sum(1 for _ in self.all_tasks())

    def all_tasks(self):
        def walk(outlines):
            for outline in outlines:
                yield from outline.tasks
                yield from walk(outline.subsections)

        yield from walk(self.sections)
        yield from self.loose_tasks


def load_outline(document: PlanDocument) -> PlanOutline:
    parties = TaskParty.objects.select_related("body", "level_limit", "unit").order_by("role", "order", "pk")
    tasks = list(Task.objects.filter(document=document).order_by("order", "pk").prefetch_related(Prefetch("parties", queryset=parties)))
    for task in tasks:
        # Split once here so templates and the exporter need no query and no filtering of their own.
        task.leads = [p for p in task.parties.all() if p.role == PartyRole.LEAD]
        task.coordinators = [p for p in task.parties.all() if p.role == PartyRole.COORDINATOR]

    sections = list(Section.objects.filter(document=document).order_by("order", "pk"))
    outlines = {section.pk: SectionOutline(section) for section in sections}
    tops = []
    for section in sections:
        parent = outlines.get(section.parent_id)
        (parent.subsections if parent else tops).append(outlines[section.pk])

    if tops:
        # The section titled "TỔ CHỨC THỰC HIỆN", else the last one: where plans put section III.
        holder = next((o for o in tops if RESPONSIBILITIES_TITLE in o.section.title.upper()), tops[-1])
        holder.holds_responsibilities = True

    loose: list[Task] = []
    for task in tasks:
        target = outlines.get(task.section_id)
        (target.tasks if target else loose).append(task)

    return PlanOutline(
        document=document,
        sections=tops,
        loose_tasks=loose,
        legal_bases=list(document.legal_bases.order_by("order", "pk")),
        responsibilities=list(document.responsibilities.order_by("order", "pk")),
    )


def task_blocks(tasks: list[Task]) -> list[list[Task]]:
    """Group consecutive tasks the way a plan writes them: tasks that share one attribute block
    (seed 1.1 and 1.2: "Thường xuyên", same lead, same coordinators) form one group whose block is
    written once after the last of them.

    Only tasks without steps, output or notes of their own join a following task's group: anything
    written between a task and the shared block would read as belonging to the next task.
    Bullets of one numbered task (seed 2.1) are never merged: each carries its own block.
    """
    groups: list[list[Task]] = []
    for task in tasks:
        previous = groups[-1][-1] if groups else None
        if (
            previous is not None
            and not previous.bullet
            and not task.bullet
            and previous.number != task.number
            and not (previous.steps or previous.output or previous.notes)
            and attribute_signature(previous) == attribute_signature(task)
            and any(attribute_signature(task))
        ):
            groups[-1].append(task)
        else:
            groups.append([task])
    return groups


def attribute_signature(task: Task) -> tuple:
    return (
        task.timeframe_text.strip(),
        tuple(p.text for p in task.leads),
        tuple(p.text for p in task.coordinators),
    )
