"""The plan editor (htmx, each task edited in place) and sending a document down the tree.

A **draft** is edited directly by the unit's cadres ("change" on the unit): each inline save
writes the task, re-parsing what was typed (timeframe, parties) as the import does.

An **issued** plan is amended by the unit's managers ("manage"): the same editor collects the edits
as a *pending amendment* in the manager's session (changed task values, added tasks, withdrawn
tasks) and shows them in place; nothing is written until "Ban hành sửa đổi" applies them all inside
one ``guidance.amending`` block: one new version, one dispatch to the unit of every derived plan.
(docs/decisions/0005-amendments-collected-in-the-editor.md)

Every form also works without JavaScript: a plain POST answers with a redirect to the editor.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_htmx.http import reswap, retarget

from mttq_platform.permissions import can
from plans.forms_editor import AmendmentIssueForm, PlanHeaderForm, SendGuidanceForm, TaskForm
from plans.models import DocumentStatus, PlanDocument, Section, Task, TaskParty
from plans.services import editing, guidance
from plans.services.editing import PendingEdits, TaskInput
from plans.services.outline import load_outline
from plans.views import PlanObjectMixin


# -- the pending amendment of an issued plan ---------------------------------------------------------
class PendingAmendment:
    """Edits of one issued plan, kept in the session of the manager who makes them until issued or
    discarded. Keys are task ids ("12") for the plan's tasks and "n1", "n2", ... for added tasks.
    Values are what was typed (``TaskInput``), so issuing applies exactly what the page showed."""

    SESSION_KEY = "plan_amendments"

    def __init__(self, request, plan: PlanDocument):
        self.session = request.session
        self.plan_key = str(plan.uuid)
        entry = self.session.get(self.SESSION_KEY, {}).get(self.plan_key) or {}
        self.changed: dict = entry.get("changed", {})
        self.added: dict = entry.get("added", {})
        self.withdrawn: dict = entry.get("withdrawn", {})  # task id -> label for the summary
        self.next = entry.get("next", 1)

    def __len__(self) -> int:
        return len(self.changed) + len(self.added) + len(self.withdrawn)

    def _save(self) -> None:
        everything = self.session.get(self.SESSION_KEY, {})
        if len(self):
            everything[self.plan_key] = {
                "changed": self.changed, "added": self.added, "withdrawn": self.withdrawn, "next": self.next,
            }
        else:
            everything.pop(self.plan_key, None)
        self.session[self.SESSION_KEY] = everything

    # -- reading --------------------------------------------------------------------------------
    def state(self, key: str) -> str:
        if key in self.withdrawn:
            return "withdrawn"
        if key in self.added:
            return "added"
        return "changed" if key in self.changed else ""

    def values(self, key: str) -> TaskInput | None:
        data = self.changed.get(key) or self.added.get(key, {}).get("task")
        return TaskInput.from_json(data) if data else None

    def added_in(self, section_id) -> list[str]:
        return [key for key, entry in self.added.items() if entry["section"] == section_id]

    def summary(self) -> list[tuple[str, str]]:
        """(state, label) of every pending edit, for the panel."""
        label = lambda values: " ".join(x for x in (values.number, values.text[:80]) if x)  # noqa: E731
        return (
            [("changed", label(self.values(key))) for key in self.changed if key not in self.withdrawn]
            + [("added", label(self.values(key))) for key in self.added]
            + [("withdrawn", text) for text in self.withdrawn.values()]
        )

    def edits(self) -> PendingEdits:
        return PendingEdits(
            changed={int(key): TaskInput.from_json(data) for key, data in self.changed.items()},
            added=[(entry["section"], TaskInput.from_json(entry["task"])) for entry in self.added.values()],
            withdrawn=[int(key) for key in self.withdrawn],
        )

    # -- writing --------------------------------------------------------------------------------
    def change(self, key: str, values: TaskInput, saved: TaskInput | None) -> None:
        if key in self.added:
            self.added[key]["task"] = values.to_json()
        elif values == saved:
            self.changed.pop(key, None)  # typed back to what the plan says: nothing to amend
        else:
            self.changed[key] = values.to_json()
        self._save()

    def add(self, section_id: int | None, values: TaskInput) -> str:
        key = f"n{self.next}"
        self.next += 1
        self.added[key] = {"section": section_id, "task": values.to_json()}
        self._save()
        return key

    def withdraw(self, key: str, label: str) -> None:
        self.changed.pop(key, None)
        self.withdrawn[key] = label
        self._save()

    def undo(self, key: str) -> None:
        for pending in (self.changed, self.added, self.withdrawn):
            pending.pop(key, None)
        self._save()

    def discard(self) -> None:
        self.changed, self.added, self.withdrawn = {}, {}, {}
        self._save()


# -- what the editor shows -------------------------------------------------------------------------
@dataclass
class EditorRow:
    """One task as the editor shows it: saved, or with its pending amendment applied."""

    key: str
    values: TaskInput
    leads: list
    coordinators: list
    heading: str = ""
    notes: list = field(default_factory=list)
    state: str = ""  # "", or for an amendment: changed | added | withdrawn

    @classmethod
    def of_task(cls, task: Task, pending: PendingAmendment | None) -> "EditorRow":
        key = str(task.pk)
        state = pending.state(key) if pending else ""
        values = pending.values(key) if state == "changed" else None
        parties = list(task.parties.all())
        return cls(
            key=key, values=values or TaskInput.of(task), heading=task.heading, notes=task.notes.splitlines(), state=state,
            leads=values.parties("leads") if values else [p for p in parties if p.role == "lead"],
            coordinators=values.parties("coordinators") if values else [p for p in parties if p.role == "coordinator"],
        )

    @classmethod
    def of_pending(cls, key: str, values: TaskInput) -> "EditorRow":
        return cls(key=key, values=values, leads=values.parties("leads"), coordinators=values.parties("coordinators"),
                   state="added")


@dataclass
class EditorSection:
    key: str  # the section's id, or "loose" for tasks outside any section
    section: Section | None
    rows: list[EditorRow]
    subsections: list["EditorSection"] = field(default_factory=list)

    @property
    def section_id(self) -> int | None:
        return self.section.pk if self.section else None

    @cached_property
    def add_form(self) -> TaskForm:
        return TaskForm(key=f"new-{self.key}")

    @property
    def takes_tasks(self) -> bool:
        """Where "add a task" is offered: a group, or a section without groups."""
        return bool(self.rows) or not self.subsections


def editor_sections(plan: PlanDocument, pending: PendingAmendment | None) -> list[EditorSection]:
    """The plan's sections with their rows (pending additions at the end of their section), in a
    fixed number of queries whatever the number of tasks."""
    outline = load_outline(plan)

    def rows(tasks, section_id):
        made = [EditorRow.of_task(task, pending) for task in tasks]
        if pending:
            made += [EditorRow.of_pending(key, pending.values(key)) for key in pending.added_in(section_id)]
        return made

    def build(item) -> EditorSection:
        return EditorSection(
            str(item.section.pk), item.section, rows(item.tasks, item.section.pk), [build(sub) for sub in item.subsections],
        )

    sections = [build(item) for item in outline.sections]
    loose = rows(outline.loose_tasks, None)
    if loose or not sections:
        sections.append(EditorSection("loose", None, loose))
    return sections


# -- views -------------------------------------------------------------------------------------------
class EditorMixin(PlanObjectMixin):
    """The plan of the URL, editable by the current user for this unit, or 404/403.

    A draft needs "change" on the unit; an issued plan is amended, which needs "manage"."""

    @cached_property
    def plan(self) -> PlanDocument:
        plan = self.get_plan()
        if plan.unit_id != self.unit.pk:
            raise Http404(str(plan.uuid))  # the editor of a plan is under its own unit only
        if plan.status == DocumentStatus.SUPERSEDED or not can(self.request.user, self.action_for(plan), plan):
            raise PermissionDenied(_("Bạn không có quyền sửa kế hoạch này."))
        return plan

    @staticmethod
    def action_for(plan: PlanDocument) -> str:
        return "manage" if plan.is_published else "change"

    @property
    def amending(self) -> bool:
        return self.plan.is_published

    @cached_property
    def pending(self) -> PendingAmendment | None:
        return PendingAmendment(self.request, self.plan) if self.amending else None

    def editor_url(self, anchor: str = "") -> str:
        url = reverse("plan-editor", kwargs={"code": self.unit.code, "uuid": self.plan.uuid})
        return f"{url}#{anchor}" if anchor else url

    def base_context(self, **extra) -> dict:
        return {"unit": self.unit, "plan": self.plan, "amending": self.amending, "pending": self.pending, **extra}

    # -- the task of the URL ----------------------------------------------------------------------
    def get_task(self) -> Task:
        """The plan's task of the URL, through the restriction for the action this mode needs."""
        key = self.kwargs["task"]
        task = None
        if key.isdigit():
            parties = TaskParty.objects.select_related("body").order_by("role", "order", "pk")
            task = (
                Task.objects.restrict(self.request.user, self.action_for(self.plan))
                .filter(document=self.plan, pk=int(key))
                .select_related("document__unit")
                .prefetch_related(Prefetch("parties", queryset=parties))
                .first()
            )
        if task is None:
            raise Http404(key)
        return task

    def is_pending_addition(self) -> bool:
        return bool(self.pending) and self.pending.state(self.kwargs["task"]) == "added"

    def current_row(self) -> EditorRow:
        key = self.kwargs["task"]
        if self.is_pending_addition():
            return EditorRow.of_pending(key, self.pending.values(key))
        return EditorRow.of_task(self.get_task(), self.pending)

    # -- answers ------------------------------------------------------------------------------------
    def row_response(self, row: EditorRow | None) -> HttpResponse:
        """htmx: the row (nothing when it is gone), and in amendment mode the pending summary."""
        html = render_to_string("plans/_editor_row_response.html", self.base_context(row=row), request=self.request)
        return HttpResponse(html)

    def form_response(self, form: TaskForm, *, action: str, status: int = 200) -> HttpResponse:
        context = self.base_context(form=form, action=action, row_key=form.key)
        if self.request.htmx:
            return HttpResponse(render_to_string("plans/_editor_task_editing.html", context, request=self.request), status=status)
        return HttpResponse(render_to_string("plans/editor_task.html", context, request=self.request), status=status)


class PlanEditorView(EditorMixin, TemplateView):
    """The editor page; POST saves the header of a draft."""

    template_name = "plans/editor.html"

    def get_context_data(self, header_form=None, issue_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.base_context(
            sections=editor_sections(self.plan, self.pending),
            header_form=header_form or (None if self.amending else PlanHeaderForm(instance=self.plan)),
            issue_form=issue_form or (AmendmentIssueForm() if self.amending else None),
        ))
        return context

    def post(self, request, *args, **kwargs):
        if self.amending:
            raise PermissionDenied(_("Phần đầu của kế hoạch đã ban hành không sửa tại đây."))
        form = PlanHeaderForm(request.POST, instance=self.plan)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(header_form=form))
        form.save()
        messages.success(request, _("Đã lưu phần đầu kế hoạch."))
        return redirect(self.editor_url())


class TaskRowView(EditorMixin, View):
    """GET: the row as shown (htmx "cancel" of an inline form)."""

    def get(self, request, *args, **kwargs):
        if not request.htmx:
            return redirect(self.editor_url(f"task-{self.kwargs['task']}"))
        return self.row_response(self.current_row())


class TaskFormView(EditorMixin, View):
    """GET: the inline form of one task. POST: save it (a draft) or keep it as a pending change (an
    issued plan); answer with the updated row, or the form with its errors."""

    def action(self) -> str:
        return reverse("plan-editor-task-form", kwargs={"code": self.unit.code, "uuid": self.plan.uuid, "task": self.kwargs["task"]})

    def get(self, request, *args, **kwargs):
        row = self.current_row()
        return self.form_response(TaskForm(key=row.key, values=row.values), action=self.action())

    def post(self, request, *args, **kwargs):
        key = self.kwargs["task"]
        form = TaskForm(request.POST, key=key)
        if self.is_pending_addition():
            task = None
        else:
            task = self.get_task()
        if not form.is_valid():
            return self.form_response(form, action=self.action())
        values = form.to_input()
        if self.amending:
            self.pending.change(key, values, TaskInput.of(task) if task else None)
        else:
            with transaction.atomic():
                editing.apply_input(task, values)
        if not request.htmx:
            return redirect(self.editor_url(f"task-{key}"))
        return self.row_response(self.current_row())


class TaskAddView(EditorMixin, View):
    """POST: a new task at the end of a section (pending, for an issued plan)."""

    def post(self, request, *args, **kwargs):
        section = self.get_section()
        section_key = str(section.pk) if section else "loose"
        form = TaskForm(request.POST, key=f"new-{section_key}")
        if not form.is_valid():
            action = request.path
            if request.htmx:
                context = self.base_context(form=form, action=action, section_key=section_key)
                response = HttpResponse(render_to_string("plans/_editor_add_form.html", context, request=request))
                return reswap(retarget(response, f"#add-task-{section_key}"), "outerHTML")
            return self.form_response(form, action=action)
        values = form.to_input()
        if self.amending:
            key = self.pending.add(section.pk if section else None, values)
            row = EditorRow.of_pending(key, values)
        else:
            with transaction.atomic():
                task = editing.add_task(self.plan, section, values)
            row = EditorRow.of_task(Task.objects.prefetch_related("parties").get(pk=task.pk), None)
        if not request.htmx:
            return redirect(self.editor_url(f"task-{row.key}"))
        # The new row goes at the end of the section's list; a fresh, empty form replaces the filled one.
        context = self.base_context(row=row, form=TaskForm(key=f"new-{section_key}"), action=request.path,
                                    section_key=section_key, fresh_add_form=True)
        return HttpResponse(render_to_string("plans/_editor_row_response.html", context, request=request))

    def get_section(self) -> Section | None:
        if "section" not in self.kwargs:
            return None
        section = Section.objects.restrict(self.request.user).filter(document=self.plan, pk=self.kwargs["section"]).first()
        if section is None:
            raise Http404(self.kwargs["section"])
        return section


class TaskDeleteView(EditorMixin, View):
    """POST: delete a task of a draft; for an issued plan, mark it to be withdrawn by the amendment."""

    def post(self, request, *args, **kwargs):
        key = self.kwargs["task"]
        row = None
        if self.is_pending_addition():
            self.pending.undo(key)
        elif self.amending:
            task = self.get_task()
            self.pending.withdraw(key, " ".join(x for x in (task.number, task.text[:80]) if x))
            row = EditorRow.of_task(task, self.pending)
        else:
            with transaction.atomic():
                editing.remove_task(self.get_task())
        if not request.htmx:
            messages.success(request, _("Đã xóa nhiệm vụ.") if not self.amending else _("Đã ghi nhận, chờ ban hành sửa đổi."))
            return redirect(self.editor_url())
        return self.row_response(row)


class TaskUndoView(EditorMixin, View):
    """POST: drop the pending amendment of one task (its change, addition or withdrawal)."""

    def post(self, request, *args, **kwargs):
        if not self.amending:
            raise Http404(self.kwargs["task"])
        key = self.kwargs["task"]
        row = None if self.is_pending_addition() else EditorRow.of_task(self.get_task(), None)
        self.pending.undo(key)
        if not request.htmx:
            return redirect(self.editor_url(f"task-{key}"))
        return self.row_response(row)


class AmendmentIssueView(PlanEditorView):
    """POST: issue every pending edit as one amendment, then follow who acts on it. An invalid form
    comes back in the editor page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not self.amending:
            raise Http404(str(self.plan.uuid))
        form = AmendmentIssueForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(issue_form=form))
        try:
            dispatch = editing.issue_amendment(
                self.plan, request.user, self.pending.edits(),
                note=form.cleaned_data["note"], due_date=form.cleaned_data["due_date"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.editor_url())
        self.pending.discard()
        messages.success(request, _("Đã ban hành sửa đổi, bổ sung (phiên bản %(version)s) và gửi đến %(count)s đơn vị.") % {
            "version": dispatch.to_version, "count": dispatch.items.count()})
        return redirect("dispatch-follow-up", code=self.unit.code, pk=dispatch.pk)


class AmendmentDiscardView(EditorMixin, View):
    def post(self, request, *args, **kwargs):
        if self.amending:
            self.pending.discard()
            messages.success(request, _("Đã bỏ các thay đổi chưa ban hành."))
        return redirect(self.editor_url())


class SendGuidanceView(PlanObjectMixin, FormView):
    """"Gửi xuống cấp dưới": an issued document to the subtree, or to chosen levels and kinds."""

    template_name = "plans/editor_send.html"
    form_class = SendGuidanceForm

    @cached_property
    def plan(self) -> PlanDocument:
        plan = self.get_plan()
        if plan.unit_id != self.unit.pk:
            raise Http404(str(plan.uuid))
        if not can(self.request.user, "manage", plan):
            raise PermissionDenied(_("Chỉ Ban Thường trực của đơn vị mới gửi văn bản xuống cấp dưới."))
        return plan

    def get_form_kwargs(self):
        self.plan  # noqa: B018 -- permission first, before any form is built
        return {**super().get_form_kwargs(), "sender": self.unit}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plan=self.plan, **kwargs)

    def form_valid(self, form):
        if not self.plan.is_published:
            form.add_error(None, _("Phải ban hành văn bản trước khi gửi."))
            return self.form_invalid(form)
        data = form.cleaned_data
        dispatch = guidance.send_guidance(
            self.plan, self.request.user, levels=data["levels"], kinds=data["kinds"], due_date=data["due_date"], note=data["note"],
        )
        messages.success(self.request, _("Đã gửi đến %(count)s đơn vị.") % {"count": dispatch.items.count()})
        return redirect("dispatch-follow-up", code=self.unit.code, pk=dispatch.pk)
