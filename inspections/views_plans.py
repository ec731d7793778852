"""Pages of inspection plans, under /u/<code>/inspections/plans/.

The list shows the unit's own plans and the inspections of the unit itself (and those of the
user's teams); a plan's page shows its inspections, windows, teams and members, with the forms of
whoever may manage it. Every lookup goes through the one restriction; every change through
``inspections.services.plans``, whose refusals are shown in Vietnamese and English.
"""
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from inspections import exporting
from inspections.forms_plans import (
    AddInspectionForm, AssignTeamForm, InspectionPlanForm, MemberForm, ReasonForm, TeamForm, WindowForm,
)
from inspections.models import Inspection, InspectionPlan, InspectionPlanStatus, Team, TeamMember
from inspections.services import plans as service
from inspections.services.errors import InspectionError
from inspections.services.rules import can_issue_plan, can_manage_plan
from mttq_platform.tenancy import UnitViewMixin
from reviews.views_comments import error_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class PlanListView(UnitViewMixin, TemplateView):
    template_name = "inspections/plans/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, unit = self.request.user, self.unit
        inspections = Inspection.objects.restrict(user).select_related("plan__unit", "unit", "team")
        context.update(
            plans=InspectionPlan.objects.restrict(user).filter(unit=unit).prefetch_related("inspections"),
            own_inspections=inspections.filter(unit=unit).exclude(plan__status=InspectionPlanStatus.DRAFT),
            team_inspections=inspections.filter(team__members__user=user).exclude(plan__status=InspectionPlanStatus.DRAFT),
            may_create=can_manage_plan(user, InspectionPlan(unit=unit)),
        )
        return context


class PlanMixin(UnitViewMixin):
    """``self.plan``: a plan of the page's unit the user may read, or 404."""

    def get_plan(self):
        plan = (InspectionPlan.objects.restrict(self.request.user).select_related("unit", "created_by")
                .filter(unit=self.unit, uuid=self.kwargs["uuid"]).first())
        if plan is None:
            raise Http404(str(self.kwargs["uuid"]))
        return plan

    def plan_url(self):
        return redirect("inspection-plan-detail", code=self.unit.code, uuid=self.plan.uuid)


class PlanCreateView(UnitViewMixin, FormView):
    template_name = "inspections/plans/form.html"
    form_class = InspectionPlanForm
    unit_action = "change"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "unit": self.unit}

    def get_initial(self):
        return {"signer_on_behalf": "TM. BAN THƯỜNG TRỰC", "symbol": "KH-MTTQ-BTT"}

    def form_valid(self, form):
        try:
            plan = service.create_plan(self.unit, user=self.request.user,
                                       inspected_units=list(form.cleaned_data["inspected_units"]), **form.plan_fields())
        except InspectionError as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Đã lập kế hoạch kiểm tra."))
        return redirect("inspection-plan-detail", code=self.unit.code, uuid=plan.uuid)


class PlanEditView(PlanMixin, FormView):
    template_name = "inspections/plans/form.html"
    form_class = InspectionPlanForm

    def get_form_kwargs(self):
        self.plan = self.get_plan()
        if not can_manage_plan(self.request.user, self.plan):
            raise Http404(str(self.plan.uuid))
        return {**super().get_form_kwargs(), "user": self.request.user, "unit": self.unit, "instance": self.plan}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plan=self.plan, **kwargs)

    def form_valid(self, form):
        try:
            service.update_plan(self.plan, user=self.request.user, **form.plan_fields())
        except InspectionError as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Đã lưu kế hoạch kiểm tra."))
        return self.plan_url()


class PlanDetailView(PlanMixin, TemplateView):
    template_name = "inspections/plans/detail.html"
    forms: dict = {}

    def get(self, request, *args, **kwargs):
        self.plan = self.get_plan()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, plan = self.request.user, self.plan
        may_manage = can_manage_plan(user, plan) and plan.status in service.OPEN_PLAN
        teams = list(Team.objects.restrict(user).filter(plan=plan).prefetch_related(
            Prefetch("members", queryset=TeamMember.objects.select_related("user"))))
        inspections = list(Inspection.objects.restrict(user).filter(plan=plan).select_related("unit", "team"))
        for inspection in inspections:
            inspection.window_form = WindowForm(prefix=f"w{inspection.pk}", initial={
                "window_start": inspection.window_start, "window_end": inspection.window_end})
            inspection.team_form = AssignTeamForm(prefix=f"t{inspection.pk}", teams=teams, initial={"team": inspection.team_id})
        context.update(
            plan=plan, teams=teams, inspections=inspections, may_manage=may_manage,
            may_issue=can_issue_plan(user, plan) and plan.status == InspectionPlanStatus.DRAFT,
            may_cancel=can_issue_plan(user, plan) and plan.status in service.OPEN_PLAN,
            add_form=AddInspectionForm(user=user, unit=plan.unit) if may_manage else None,
            member_form=MemberForm(), reason_form=ReasonForm(),
        )
        context.update(self.forms)  # what was typed into a refused form, kept
        return context

    def refused(self, error: InspectionError, **forms):
        """The plan's page again with the refusal, what was typed kept in ``forms``."""
        messages.error(self.request, error_text(error))
        self.forms = forms
        return self.render_to_response(self.get_context_data(), status=400)


class PlanActionView(PlanDetailView):
    """POST actions on a plan: each runs one service call and comes back to the plan's page."""

    http_method_names = ["post"]
    done_message = ""

    def post(self, request, *args, **kwargs):
        self.plan = self.get_plan()
        try:
            response = self.act()
        except InspectionError as error:
            return self.refused(error)
        if response is not None:
            return response
        messages.success(request, self.done_message)
        return self.plan_url()

    def act(self):
        raise NotImplementedError

    def inspection(self):
        found = Inspection.objects.restrict(self.request.user).filter(plan=self.plan, uuid=self.kwargs["inspection"]).first()
        if found is None:
            raise Http404(str(self.kwargs["inspection"]))
        return found

    def team(self):
        found = Team.objects.restrict(self.request.user).filter(plan=self.plan, uuid=self.kwargs["team"]).first()
        if found is None:
            raise Http404(str(self.kwargs["team"]))
        return found

    def invalid(self, form, key: str = ""):
        messages.error(self.request, _("Vui lòng kiểm tra lại thông tin đã nhập. / Please check what you entered."))
        self.forms = {key: form} if key else {}
        return self.render_to_response(self.get_context_data(), status=400)


class IssueView(PlanActionView):
    def act(self):
        service.issue_plan(self.plan, user=self.request.user)
        self.done_message = _("Đã ban hành kế hoạch kiểm tra; đoàn kiểm tra được mở quyền xem theo thời gian kiểm tra.")


class CancelPlanView(PlanActionView):
    def act(self):
        service.cancel_plan(self.plan, user=self.request.user, reason=self.request.POST.get("reason", ""))
        self.done_message = _("Đã hủy kế hoạch kiểm tra; quyền xem của các đoàn đã bị thu hồi.")


class AddInspectionView(PlanActionView):
    def act(self):
        form = AddInspectionForm(self.request.POST, user=self.request.user, unit=self.plan.unit)
        if not form.is_valid():
            return self.invalid(form, "add_form")
        data = form.cleaned_data
        try:
            service.add_inspection(self.plan, data["unit"], user=self.request.user,
                                   window_start=data["window_start"], window_end=data["window_end"])
        except InspectionError as error:
            return self.refused(error, add_form=form)
        self.done_message = _("Đã thêm đơn vị được kiểm tra.")


class WindowView(PlanActionView):
    def act(self):
        inspection = self.inspection()
        form = WindowForm(self.request.POST, prefix=f"w{inspection.pk}")
        if not form.is_valid():
            return self.invalid(form)
        service.set_window(inspection, user=self.request.user, **form.cleaned_data)
        self.done_message = _("Đã lưu thời gian kiểm tra.")


class AssignTeamView(PlanActionView):
    def act(self):
        inspection = self.inspection()
        form = AssignTeamForm(self.request.POST, prefix=f"t{inspection.pk}", teams=self.plan.teams.all())
        if not form.is_valid():
            return self.invalid(form)
        service.assign_team(inspection, form.cleaned_data["team"], user=self.request.user)
        self.done_message = _("Đã giao đoàn kiểm tra.")


class CancelInspectionView(PlanActionView):
    def act(self):
        service.cancel_inspection(self.inspection(), user=self.request.user, reason=self.request.POST.get("reason", ""))
        self.done_message = _("Đã hủy cuộc kiểm tra; quyền xem của đoàn đã bị thu hồi.")


class AddMemberView(PlanActionView):
    def act(self):
        team = self.team()
        form = MemberForm(self.request.POST)
        if not form.is_valid():
            return self.invalid(form, "member_form")
        try:
            service.add_member(team, user=self.request.user, **form.member_fields())
        except InspectionError as error:
            return self.refused(error, member_form=form)
        self.done_message = _("Đã thêm thành viên đoàn.")


class RemoveMemberView(PlanActionView):
    def act(self):
        team = self.team()
        member = team.members.filter(pk=self.kwargs["member"]).first()
        if member is None:
            raise Http404(str(self.kwargs["member"]))
        service.remove_member(member, user=self.request.user)
        self.done_message = _("Đã bỏ thành viên khỏi đoàn.")


class TeamCreateView(PlanMixin, FormView):
    template_name = "inspections/plans/team_form.html"
    form_class = TeamForm

    def get_form_kwargs(self):
        self.plan = self.get_plan()
        if not can_manage_plan(self.request.user, self.plan):
            raise Http404(str(self.plan.uuid))
        return super().get_form_kwargs()

    def get_initial(self):
        return {"decision_symbol": "QĐ-MTTQ-BTT"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plan=self.plan, **kwargs)

    def form_valid(self, form):
        try:
            service.create_team(self.plan, user=self.request.user, **form.cleaned_data)
        except InspectionError as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Đã thành lập đoàn kiểm tra; thêm thành viên ở trang kế hoạch."))
        return self.plan_url()


class PlanDocxView(PlanMixin, View):
    def get(self, request, *args, **kwargs):
        self.plan = self.get_plan()
        return _attachment(exporting.plan_docx(self.plan), exporting.plan_filename(self.plan))


class TeamDecisionDocxView(PlanMixin, View):
    def get(self, request, *args, **kwargs):
        self.plan = self.get_plan()
        team = Team.objects.restrict(request.user).filter(plan=self.plan, uuid=kwargs["team"]).select_related("plan__unit").first()
        if team is None:
            raise Http404(str(kwargs["team"]))
        return _attachment(exporting.team_decision_docx(team), exporting.team_decision_filename(team))


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
