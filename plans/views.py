"""Pages of a unit's plans: the list, the detail, the .docx export, and import with a preview.

Every plan a page shows comes from ``PlanDocument.objects.restrict(user)`` (the one restriction:
own subtree, plus what the units above have issued), narrowed to the plans that concern the page's
unit: its own and its subtree's, and those of the units above it.
"""
from __future__ import annotations

import io
import secrets
import time
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from mttq_platform.permissions import can
from mttq_platform.tenancy import UnitViewMixin
from plans.exporting import export_docx, export_filename
from plans.forms import PlanUploadForm
from plans.models import DocumentKind, DocumentStatus, PlanDocument
from plans.services.derivation import can_derive
from plans.services.importing import PlanImportError, parse_plan_file, read_plan_file, save_parsed_plan
from plans.services.outline import load_outline

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def plans_concerning(user, unit):
    """Plans ``user`` may read that concern ``unit``: its own and its subtree's, and those of the
    units above it (the restriction leaves only what they have issued)."""
    in_subtree = Q(unit__tree_id=unit.tree_id, unit__lft__gte=unit.lft, unit__lft__lte=unit.rght)
    above = Q(unit__tree_id=unit.tree_id, unit__lft__lt=unit.lft, unit__rght__gt=unit.rght)
    return PlanDocument.objects.restrict(user).filter(in_subtree | above)


class PlanListView(UnitViewMixin, ListView):
    template_name = "plans/plan_list.html"
    context_object_name = "plans"
    paginate_by = 50

    def get_queryset(self):
        return plans_concerning(self.request.user, self.unit).select_related("unit").order_by("-date", "-created_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = can(self.request.user, "add", self.unit)
        return context


class PlanObjectMixin(UnitViewMixin):
    """The plan of the URL, through the restriction: an invisible plan is the same 404 as none."""

    def get_plan(self) -> PlanDocument:
        plan = plans_concerning(self.request.user, self.unit).select_related("unit").filter(uuid=self.kwargs["uuid"]).first()
        if plan is None:
            raise Http404(str(self.kwargs["uuid"]))
        return plan


class PlanDetailView(PlanObjectMixin, TemplateView):
    template_name = "plans/plan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        outline = load_outline(self.get_plan())
        context.update(plan=outline.document, outline=outline, **derivation_actions(self.request.user, self.unit, outline.document))
        return context


def derivation_actions(user, unit, plan) -> dict:
    """The detail page's issue button (a draft, for the managers of its unit) and its link to
    derive the page's unit's own plan from an issued plan above it."""
    above = plan.unit_id != unit.pk and unit.is_within(plan.unit)
    return {
        "can_issue": plan.status == DocumentStatus.DRAFT and can(user, "manage", plan.unit),
        "can_derive_from": plan.is_published and plan.kind == DocumentKind.PLAN and above and can_derive(user, unit),
    }


class PlanExportView(PlanObjectMixin, View):
    def get(self, request, *args, **kwargs):
        plan = self.get_plan()
        return HttpResponse(
            export_docx(plan),
            content_type=DOCX_CONTENT_TYPE,
            headers={"Content-Disposition": content_disposition_header(True, export_filename(plan))},
        )


# -- import: upload, preview, confirm ---------------------------------------------------------------
class PendingImports:
    """Uploaded files waiting for confirmation, between the preview and the save.

    The bytes go to MEDIA_ROOT/plan-imports/ (never served) under a random token; the session keeps
    the token with the unit and the file's name, so only the person who uploaded can confirm it,
    and only for the unit they uploaded for. Files older than a day are swept on each upload.
    """

    SESSION_KEY = "plan_imports"
    MAX_AGE = 24 * 3600

    def __init__(self, request):
        self.request = request
        self.directory = Path(settings.MEDIA_ROOT) / "plan-imports"

    def _entries(self) -> dict:
        return self.request.session.get(self.SESSION_KEY, {})

    def add(self, unit, name: str, data: bytes) -> str:
        self._sweep()
        token = secrets.token_urlsafe(24)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / token).write_bytes(data)
        entries = self._entries()
        entries[token] = {"unit": unit.code, "name": name, "at": time.time()}
        self.request.session[self.SESSION_KEY] = entries
        return token

    def get(self, unit, token: str):
        """(name, bytes) of this session's upload for ``unit``, or Http404."""
        entry = self._entries().get(token)
        path = self.directory / token
        if entry is None or entry["unit"] != unit.code or not path.is_file():
            raise Http404(token)
        return entry["name"], path.read_bytes()

    def discard(self, token: str) -> None:
        entries = self._entries()
        entries.pop(token, None)
        self.request.session[self.SESSION_KEY] = entries
        (self.directory / token).unlink(missing_ok=True)

    def _sweep(self) -> None:
        if not self.directory.is_dir():
            return
        cutoff = time.time() - self.MAX_AGE
        for path in self.directory.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


class PlanImportView(UnitViewMixin, FormView):
    """Upload a file; a valid plan is kept aside and shown for confirmation."""

    unit_action = "add"
    template_name = "plans/plan_import.html"
    form_class = PlanUploadForm

    def form_valid(self, form):
        token = PendingImports(self.request).add(self.unit, form.plan_file.name, form.plan_file.data)
        return redirect("plan-import-preview", code=self.unit.code, token=token)


class PlanImportPreviewView(UnitViewMixin, TemplateView):
    """What the parser found (GET), saved as a draft on confirmation (POST)."""

    unit_action = "add"
    template_name = "plans/plan_import_preview.html"

    def parsed(self):
        name, data = PendingImports(self.request).get(self.unit, self.kwargs["token"])
        try:
            return name, parse_plan_file(read_plan_file_from(name, data))
        except PlanImportError:  # checked at upload; a changed parser could still refuse it
            raise Http404(self.kwargs["token"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        name, parsed = self.parsed()
        context.update(source_name=name, parsed=parsed, sections=preview_sections(parsed), token=self.kwargs["token"])
        return context

    def post(self, request, *args, **kwargs):
        name, parsed = self.parsed()
        document = save_parsed_plan(parsed, self.unit, actor=request.user, source_name=name)
        PendingImports(request).discard(self.kwargs["token"])
        return redirect(reverse("plan-detail", kwargs={"code": self.unit.code, "uuid": document.uuid}))


def read_plan_file_from(name: str, data: bytes):
    return read_plan_file(io.BytesIO(data), filename=name)


def preview_sections(parsed) -> list[dict]:
    """Sections, each with its own tasks and its groups' tasks, for the preview template."""
    tasks = defaultdict(list)
    for task in parsed.tasks:
        tasks[task.section].append(task)
    return [
        {
            "section": section,
            "tasks": tasks.get(section.number, []),
            "groups": [
                # "II.2" is written "2." under "II.", as in the document.
                {"group": group, "short_number": group.number.rsplit(".", 1)[-1], "tasks": tasks.get(group.number, [])}
                for group in section.groups
            ],
        }
        for section in parsed.sections
    ]
