"""The report pages of a unit: its report for a year (progress rows edited inline, evidence,
indicators, submission, history), its accepted versions, and the parent's approval page of its
children's reports.

Every row shown comes through ``Model.objects.restrict(user)``; every write goes through the
services (reviews.services.progress / approval), which decide who may do what and when, and whose
refusals (``ReviewError``) are shown in Vietnamese and English with what the user typed kept.
GET never writes: a report is opened by an explicit POST.

Each form also works without JavaScript: a plain POST answers with a redirect (or the whole page
with the form's errors); htmx posts of a progress row get the row back.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from mttq_platform.permissions import can
from mttq_platform.tenancy import UnitViewMixin
from orgtree.models import OrgUnit
from reviews.forms import CommentForm, EvidenceForm, IndicatorsForm, ProgressForm, SummaryForm
from reviews.models import (
    ApprovalAction, ApprovalEvent, Evidence, Indicator, IndicatorValue, ProgressStatus, ReportStatus, ReportVersion,
    TaskProgress, UnitReport,
)
from reviews.services import approval, progress as progress_service
from reviews.services.errors import ReviewError
from reviews.services.reports import open_report

FIRST_YEAR, LAST_YEAR = 2000, 2100


def review_error_text(error: ReviewError) -> str:
    return f"{error.message_vi} ({error.message_en})"


def evidence_url(unit, evidence: Evidence) -> str:
    """The permission-checked download of an evidence file (its view belongs to the evidence
    area); no link when that view is not installed."""
    try:
        return reverse("evidence-download", kwargs={"code": unit.code, "uuid": evidence.uuid})
    except NoReverseMatch:
        return ""


class YearMixin(UnitViewMixin):
    """The unit of the URL (UnitViewMixin: invisible is 404) and a plausible year."""

    def dispatch(self, request, *args, **kwargs):
        if not FIRST_YEAR <= kwargs["year"] <= LAST_YEAR:
            raise Http404(kwargs["year"])
        self.year = kwargs["year"]
        return super().dispatch(request, *args, **kwargs)

    def report_url(self, anchor: str = "") -> str:
        url = reverse("unit-report", kwargs={"code": self.unit.code, "year": self.year})
        return f"{url}#{anchor}" if anchor else url

    def base_context(self, **extra) -> dict:
        return {"unit": self.unit, "year": self.year, **extra}


class ReportMixin(YearMixin):
    """The unit's report of the year, through the restriction (None when not opened yet)."""

    @cached_property
    def report(self) -> UnitReport | None:
        return (
            UnitReport.objects.restrict(self.request.user)
            .filter(unit=self.unit, year=self.year).select_related("unit", "plan__unit").first()
        )

    def get_report(self) -> UnitReport:
        if self.report is None:
            raise Http404(str(self.year))
        return self.report

    @cached_property
    def editable(self) -> bool:
        return self.report is not None and progress_service.can_edit(self.request.user, self.report)


# -- the rows of a report ---------------------------------------------------------------------------
@dataclass
class ProgressRow:
    """One progress row as the page shows it: its values, or its form when the report is editable."""

    progress: TaskProgress
    overdue: bool
    form: ProgressForm | None = None
    evidence: list = field(default_factory=list)  # (Evidence, download url)
    evidence_form: EvidenceForm | None = None
    saved: bool = False

    @property
    def anchor(self) -> str:
        return f"progress-{self.progress.pk}"


def is_overdue(progress: TaskProgress, today) -> bool:
    """Derived, never typed: past its due date and not done."""
    return progress.due < today and progress.status != ProgressStatus.DONE


def progress_queryset(user):
    return (
        TaskProgress.objects.restrict(user)
        .select_related("task", "task__section")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at")))
    )


def make_row(progress: TaskProgress, unit, *, editable: bool, today, form=None, evidence_form=None, saved=False) -> ProgressRow:
    show_form = editable or (form is not None and form.errors)
    return ProgressRow(
        progress=progress, overdue=is_overdue(progress, today), saved=saved,
        form=(form or ProgressForm(progress=progress)) if show_form else None,
        evidence=[(item, evidence_url(unit, item)) for item in progress.evidence.all()],
        evidence_form=(evidence_form or EvidenceForm(progress=progress)) if editable or evidence_form else None,
    )


def grouped_rows(rows: list[ProgressRow]) -> list[dict]:
    """Rows under their section and task, in the plan's order:
    [{"section": Section|None, "tasks": [{"task": Task, "rows": [...]}]}]."""
    ordered = sorted(rows, key=lambda r: (
        r.progress.task.section.order if r.progress.task.section else 10_000, r.progress.task.order,
        r.progress.due, r.progress.period_key,
    ))
    sections: OrderedDict = OrderedDict()
    for row in ordered:
        task = row.progress.task
        tasks = sections.setdefault(task.section_id, {"section": task.section, "tasks": OrderedDict()})["tasks"]
        tasks.setdefault(task.pk, {"task": task, "rows": []})["rows"].append(row)
    return [{"section": s["section"], "tasks": list(s["tasks"].values())} for s in sections.values()]


def progress_summary(rows: list[ProgressRow]) -> dict:
    counts = {status: 0 for status in ProgressStatus.values}
    points = 0
    for row in rows:
        counts[row.progress.status] += 1
        points += row.progress.points
    total = len(rows)
    return {
        "total": total, "counts": [(label, counts[value]) for value, label in ProgressStatus.choices],
        "overdue": sum(1 for row in rows if row.overdue),
        "completion": round(points / total, 1) if total else None,
    }


# -- the report page ----------------------------------------------------------------------------------
class ReportView(ReportMixin, TemplateView):
    """GET: the report (or the button that opens it). POST: open it."""

    template_name = "reviews/report.html"

    def get_context_data(self, bound_forms=None, evidence_forms=None, indicators_form=None, submit_form=None,
                         summary_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        report = self.report
        if report is None:
            context["can_open"] = can(self.request.user, "change", self.unit)
            return context
        user, today = self.request.user, timezone.localdate()
        bound_forms, evidence_forms = bound_forms or {}, evidence_forms or {}
        rows = [
            make_row(p, self.unit, editable=self.editable, today=today,
                     form=bound_forms.get(p.pk), evidence_form=evidence_forms.get(p.pk))
            for p in progress_queryset(user).filter(report=report)
        ]
        indicators = list(Indicator.objects.filter(active=True))
        values = {
            v.indicator.code: v.value
            for v in IndicatorValue.objects.restrict(user).filter(report=report).select_related("indicator")
        }
        events = list(ApprovalEvent.objects.restrict(user).filter(report=report).select_related("actor", "actor_unit"))
        returned = [e for e in events if e.action == ApprovalAction.RETURN]
        context.update(
            report=report, editable=self.editable, sections=grouped_rows(rows), summary=progress_summary(rows),
            indicator_rows=[(i, values.get(i.code)) for i in indicators],
            indicators_form=indicators_form or (IndicatorsForm(indicators=indicators, values=values) if self.editable else None),
            events=events,
            return_event=returned[-1] if report.status == ReportStatus.RETURNED and returned else None,
            submit_form=submit_form or (CommentForm() if self.editable else None),
            summary_form=summary_form or (SummaryForm(initial={"summary": report.summary}) if self.editable else None),
            versions=list(ReportVersion.objects.restrict(user).filter(report=report).order_by("version")
                          .values("version", "accepted_at")),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can(request.user, "change", self.unit):
            raise PermissionDenied(_("Bạn không có quyền mở báo cáo của đơn vị này."))
        try:
            open_report(self.unit, self.year)
        except ReviewError as error:
            messages.error(request, f"{error.message_vi} ({error.message_en})")
        else:
            messages.success(request, _("Đã mở báo cáo năm %(year)s.") % {"year": self.year})
        return redirect(self.report_url())


class ProgressRowView(ReportMixin, View):
    """GET: one row (htmx). POST: save it through ``record_progress``; answer with the row (htmx)
    or a redirect; a refused save keeps what was typed and says why."""

    def get_progress(self) -> TaskProgress:
        progress = progress_queryset(self.request.user).filter(
            pk=self.kwargs["pk"], report__unit=self.unit, report__year=self.year
        ).first()
        if progress is None:
            raise Http404(self.kwargs["pk"])
        return progress

    def row_response(self, row: ProgressRow, status: int = 200) -> HttpResponse:
        html = render_to_string("reviews/_progress_row.html", self.base_context(row=row, editable=self.editable),
                                request=self.request)
        return HttpResponse(html, status=status)

    def get(self, request, *args, **kwargs):
        progress = self.get_progress()
        if not request.htmx:
            return redirect(self.report_url(f"progress-{progress.pk}"))
        return self.row_response(make_row(progress, self.unit, editable=self.editable, today=timezone.localdate()))

    def post(self, request, *args, **kwargs):
        progress = self.get_progress()
        form = ProgressForm(request.POST, progress=progress)
        if form.is_valid():
            data = form.cleaned_data
            try:
                progress_service.record_progress(
                    progress, user=request.user, status=data["status"], percent=data["percent"],
                    narrative=data["narrative"], reason=data["reason"],
                )
            except ReviewError as error:
                form.add_review_error(error)
        return self.answer(progress, form=form)

    def answer(self, progress: TaskProgress, *, form=None, evidence_form=None) -> HttpResponse:
        failed = (form is not None and form.errors) or (evidence_form is not None and evidence_form.errors)
        if not self.request.htmx:
            if failed:
                view = ReportView(request=self.request, kwargs=self.kwargs, args=())
                view.unit, view.year = self.unit, self.year
                context = view.get_context_data(
                    bound_forms={progress.pk: form} if form is not None and form.errors else None,
                    evidence_forms={progress.pk: evidence_form} if evidence_form is not None else None,
                )
                return HttpResponse(render_to_string(ReportView.template_name, context, request=self.request))
            messages.success(self.request, _("Đã lưu."))
            return redirect(self.report_url(f"progress-{progress.pk}"))
        progress = self.get_progress()  # fresh: values and evidence as saved
        row = make_row(progress, self.unit, editable=self.editable, today=timezone.localdate(),
                       form=form if failed and form is not None and form.errors else None,
                       evidence_form=evidence_form if failed and evidence_form is not None and evidence_form.errors else None,
                       saved=not failed)
        return self.row_response(row)


class EvidenceUploadView(ProgressRowView):
    """POST: attach a file to a progress row (``attach_evidence`` checks type and size)."""

    def get(self, request, *args, **kwargs):
        raise Http404()

    def post(self, request, *args, **kwargs):
        progress = self.get_progress()
        form = EvidenceForm(request.POST, request.FILES, progress=progress)
        if form.is_valid():
            try:
                progress_service.attach_evidence(
                    progress, form.cleaned_data["file"], user=request.user, description=form.cleaned_data["description"],
                )
            except ReviewError as error:
                form.add_review_error(error)
        return self.answer(progress, evidence_form=form)


class EvidenceRemoveView(ProgressRowView):
    """POST: remove one evidence file of a progress row."""

    def get(self, request, *args, **kwargs):
        raise Http404()

    def post(self, request, *args, **kwargs):
        progress = self.get_progress()
        evidence = Evidence.objects.restrict(request.user).filter(progress=progress, uuid=self.kwargs["uuid"]).first()
        if evidence is None:
            raise Http404(str(self.kwargs["uuid"]))
        form = EvidenceForm(progress=progress)
        try:
            progress_service.remove_evidence(evidence, user=request.user)
        except ReviewError as error:
            form.add_review_error(error)
        return self.answer(progress, evidence_form=form if form.errors else None)


class IndicatorsView(ReportMixin, View):
    """POST: the year's indicator values, through ``set_indicators``."""

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        indicators = list(Indicator.objects.filter(active=True))
        form = IndicatorsForm(request.POST, indicators=indicators)
        if form.is_valid():
            try:
                progress_service.set_indicators(report, form.values(), user=request.user)
            except ReviewError as error:
                form.add_review_error(error)
        if form.errors:
            return self.page_with(indicators_form=form)
        messages.success(request, _("Đã lưu các chỉ tiêu."))
        return redirect(self.report_url("indicators"))

    def page_with(self, **forms) -> HttpResponse:
        view = ReportView(request=self.request, kwargs=self.kwargs, args=())
        view.unit, view.year = self.unit, self.year
        return HttpResponse(render_to_string(ReportView.template_name, view.get_context_data(**forms), request=self.request))


class SummaryView(IndicatorsView):
    """POST: the report's written summary of results. It adds nothing to the totals; it is
    written under the same lock and editing rule as the rest of the report."""

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        form = SummaryForm(request.POST)
        if form.is_valid():
            try:
                with progress_service.locked_report(report.pk, request.user) as locked:
                    progress_service.ensure_editable(request.user, locked)
                    locked.summary = form.cleaned_data["summary"].strip()
                    locked.save()
            except ReviewError as error:
                form.add_review_error(error)
        if form.errors:
            return self.page_with(summary_form=form)
        messages.success(request, _("Đã lưu phần tóm tắt."))
        return redirect(self.report_url("summary-heading"))


class SubmitView(IndicatorsView):
    """POST: send the report to the parent (``submit``)."""

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                approval.submit(report, user=request.user, comment=form.cleaned_data["comment"])
            except ReviewError as error:
                form.add_review_error(error)
        if form.errors:
            return self.page_with(submit_form=form)
        messages.success(request, _("Đã gửi báo cáo lên cấp trên."))
        return redirect(self.report_url())


class ReportVersionView(ReportMixin, TemplateView):
    """An accepted version of the report as it stood when accepted (kept after reopening)."""

    template_name = "reviews/report_version.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = (
            ReportVersion.objects.restrict(self.request.user)
            .filter(report=self.get_report(), version=self.kwargs["version"]).select_related("accepted_by").first()
        )
        if version is None:
            raise Http404(self.kwargs["version"])
        snapshot = version.snapshot or {}
        context.update(self.base_context(
            report=self.report, version=version, snapshot=snapshot,
            progress_rows=snapshot.get("progress") or [], indicator_rows=snapshot_indicators(snapshot),
        ))
        return context


def snapshot_indicators(snapshot: dict) -> list[tuple[str, object]]:
    """(indicator, value) of a snapshot, whether it keeps them as a mapping or as rows."""
    indicators = snapshot.get("indicators") or {}
    if isinstance(indicators, dict):
        names = dict(Indicator.objects.filter(code__in=list(indicators)).values_list("code", "name"))
        return [(names.get(code, code), value) for code, value in indicators.items()]
    return [(row.get("name") or row.get("code") or row.get("indicator"), row.get("value")) for row in indicators]


# -- the parent's approval page ------------------------------------------------------------------------
@dataclass
class ChildReport:
    unit: OrgUnit
    report: UnitReport | None
    late: bool  # submitted after its due date, or not submitted and past it
    form_errors: dict = field(default_factory=dict)  # action -> bound CommentForm with errors

    @property
    def actions(self) -> list[str]:
        """The approval steps the report's state allows (the service still decides)."""
        report = self.report
        if report is None:
            return ["waive"]
        return {
            ReportStatus.DRAFT: ["waive"],
            ReportStatus.RETURNED: ["waive"],
            ReportStatus.SUBMITTED: ["accept", "return"],
            ReportStatus.ACCEPTED: ["reopen"],
            ReportStatus.WAIVED: ["unwaive"],
        }.get(report.status, [])


# action -> (service, whether the step must say why)
APPROVAL_ACTIONS = {
    "accept": (approval.accept, False),
    "return": (approval.return_report, True),
    "reopen": (approval.reopen, True),
    "waive": (approval.waive, True),
    "unwaive": (approval.unwaive, False),
}


class ChildrenView(YearMixin, TemplateView):
    """The children's reports of the year for the parent: status, first submission, on time or
    late, missing ones, and the approval buttons."""

    template_name = "reviews/children.html"

    def get_context_data(self, failed=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, timezone.localdate()
        children = list(OrgUnit.objects.restrict(user).filter(parent=self.unit).select_related("kind", "level").order_by("lft"))
        reports = {
            r.unit_id: r
            for r in UnitReport.objects.restrict(user).filter(unit__parent=self.unit, year=self.year).select_related("unit")
        }
        rows = []
        for child in children:
            report = reports.get(child.pk)
            if report is None:
                late = False  # listed as missing
            elif report.first_submitted_at is None:
                late = report.due_date < today and report.status != ReportStatus.WAIVED
            else:
                late = not report.submitted_on_time
            row = ChildReport(unit=child, report=report, late=late)
            if failed and failed[0] == child.pk:
                row.form_errors[failed[1]] = failed[2]
            rows.append(row)
        own = UnitReport.objects.restrict(user).filter(unit=self.unit, year=self.year).first()
        sample = next(iter(reports.values()), None)
        may_review = approval.can_review(user, sample) if sample else can(user, "change", self.unit)
        waiting = [row for row in rows if row.report and row.report.status == ReportStatus.SUBMITTED]
        context.update(self.base_context(
            rows=rows, own_report=own, may_review=may_review, waiting=len(waiting),
            missing=sum(1 for row in rows if row.report is None),
            accepted=sum(1 for row in rows if row.report and row.report.status == ReportStatus.ACCEPTED),
            required_actions=[name for name, (_service, required) in APPROVAL_ACTIONS.items() if required],
        ))
        return context


class ChildActionView(YearMixin, View):
    """POST: one approval step on a child's report; a refusal is shown on the children page with
    the typed comment kept."""

    def post(self, request, *args, **kwargs):
        action = self.kwargs["action"]
        if action not in APPROVAL_ACTIONS:
            raise Http404(action)
        child = OrgUnit.objects.restrict(request.user).filter(parent=self.unit, code=self.kwargs["child"]).first()
        if child is None:
            raise Http404(self.kwargs["child"])
        service, required = APPROVAL_ACTIONS[action]
        form = CommentForm(request.POST, required=required)
        if form.is_valid():
            try:
                with transaction.atomic():
                    report = UnitReport.objects.restrict(request.user).filter(unit=child, year=self.year).first()
                    if report is None and action == "waive":
                        report = open_report(child, self.year)  # a missing report is waived as a report
                    if report is None:
                        raise ReviewError(f"{child.name} chưa có báo cáo năm {self.year}.",
                                          f"{child.code} has no report for {self.year}.", code="missing")
                    service(report, user=request.user, comment=form.cleaned_data["comment"])
            except ReviewError as error:
                form.add_review_error(error)
        if form.errors:
            view = ChildrenView(request=request, kwargs=self.kwargs, args=())
            view.unit, view.year = self.unit, self.year
            context = view.get_context_data(failed=(child.pk, action, form))
            return HttpResponse(render_to_string(ChildrenView.template_name, context, request=request))
        messages.success(request, _("%(unit)s: đã %(action)s.") % {
            "unit": child.name, "action": str(ApprovalAction(action).label).lower()})
        children = reverse("unit-report-children", kwargs={"code": self.unit.code, "year": self.year})
        return redirect(f"{children}#child-{child.code}")


class CurrentYearView(UnitViewMixin, View):
    """/reviews/ : this year's report."""

    def get(self, request, *args, **kwargs):
        return redirect("unit-report", code=self.unit.code, year=timezone.localdate().year)
