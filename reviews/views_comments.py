"""Pages of comment rounds (góp ý) under /u/<code>/reviews/<year>/comments/.

The unit in the address is the one the user acts for: the drafting unit (its own rounds, and the
rounds of units below, read-only) or an invited party (the rounds it is asked to comment on). A
round is always read through ``CommentRound.objects.restrict``, which opens it to party users; the
draft report is shown to them inside the round page, read through the round."""
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from mttq_platform.tenancy import UnitViewMixin
from reviews.forms_comments import CommentForm, CommentRoundForm, DecisionForm, MeetingForm
from reviews.models import Comment, CommentParty, CommentRound, CommentRoundMode, Disposition, IndicatorValue, TaskProgress, UnitReport
from reviews.services import comments as service
from reviews.services.errors import ReviewError
from reviews.services.reports import open_report


def error_text(error: ReviewError) -> str:
    return f"{error.message_vi} / {error.message_en}"


def _in_subtree(unit, prefix="report__unit__") -> Q:
    return Q(**{f"{prefix}tree_id": unit.tree_id, f"{prefix}lft__gte": unit.lft, f"{prefix}lft__lte": unit.rght})


class YearMixin(UnitViewMixin):
    def dispatch(self, request, *args, **kwargs):
        self.year = kwargs["year"]
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["year"] = self.year
        return context

    def own_report(self):
        return UnitReport.objects.restrict(self.request.user).filter(unit=self.unit, year=self.year).first()


class RoundMixin(YearMixin):
    """The round of the address, as this unit sees it: a round of its subtree or one it is invited
    to, among the rounds the user may read (404 otherwise)."""

    def get_round(self) -> CommentRound:
        invited = Exists(CommentParty.objects.filter(round=OuterRef("pk"), unit=self.unit))
        return get_object_or_404(
            CommentRound.objects.restrict(self.request.user).select_related("report__unit", "report__plan")
            .filter(_in_subtree(self.unit) | Q(invited), uuid=self.kwargs["uuid"], report__year=self.year),
        )

    def round_url(self, round_):
        return reverse("comment-round-detail", kwargs={"code": self.unit.code, "year": self.year, "uuid": round_.uuid})


class CommentRoundListView(YearMixin, TemplateView):
    template_name = "reviews/comments/round_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rounds = (
            CommentRound.objects.restrict(user).filter(report__year=self.year).select_related("report__unit")
            .annotate(n_parties=Count("parties", distinct=True), n_comments=Count("comments", distinct=True),
                      n_pending=Count("comments", filter=Q(comments__disposition=Disposition.PENDING), distinct=True))
        )
        context["own_rounds"] = list(rounds.filter(report__unit=self.unit))
        context["invitations"] = list(rounds.filter(Exists(CommentParty.objects.filter(round=OuterRef("pk"), unit=self.unit))))
        report = self.own_report()
        context["report"] = report
        context["may_open"] = (
            (report is None or report.status in service.OPEN_FOR_COMMENTS)
            and service.can_draft(user, UnitReport(unit=self.unit))
        )
        return context


class CommentRoundCreateView(YearMixin, FormView):
    template_name = "reviews/comments/round_form.html"
    form_class = CommentRoundForm
    unit_action = "change"  # only the drafting unit opens a round on its own report

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "unit": self.unit}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused round leaves no newly opened report behind
                round_ = service.open_round(
                    open_report(self.unit, self.year),
                    user=self.request.user, mode=data["mode"], title=data["title"], deadline=data["deadline"],
                    units=list(data["units"]) + data["other_units"], outside_bodies=data["outside_bodies"],
                    new_body_names=data["new_bodies"], meeting_at=data["meeting_at"], meeting_place=data["meeting_place"],
                )
        except ReviewError as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Đã mở đợt góp ý."))
        return redirect("comment-round-detail", code=self.unit.code, year=self.year, uuid=round_.uuid)


class CommentRoundDetailView(RoundMixin, TemplateView):
    template_name = "reviews/comments/round_detail.html"
    forms = {}

    def get(self, request, *args, **kwargs):
        self.round = self.get_round()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, round_ = self.request.user, self.round
        parties = list(CommentParty.objects.restrict(user).filter(round=round_).select_related("unit", "outside_body"))
        comments = list(
            Comment.objects.restrict(user).filter(round=round_).select_related("submitted_by", "decided_by")
        )
        is_drafter = service.can_draft(user, round_.report)
        rows = service.party_rows(round_, parties, comments)
        passed = service.deadline_passed(round_)
        # A written round takes no more comments after its deadline: no form to fill in vain.
        writing_closed = passed and round_.mode == CommentRoundMode.WRITING
        speak_for = [] if writing_closed else service.parties_user_may_speak_for(round_, user, parties, is_drafter=is_drafter)
        report = round_.report
        context.update(
            round=round_, report=report, rows=rows, late=[row.party for row in rows if row.late],
            is_drafter=is_drafter and round_.closed_at is None,
            deadline_passed=passed, writing_closed=writing_closed and round_.closed_at is None,
            comment_form=self.forms.get("comment") or (CommentForm(parties=speak_for) if speak_for else None),
            meeting_form=self.forms.get("meeting") or MeetingForm(initial={
                "meeting_at": round_.meeting_at, "meeting_place": round_.meeting_place, "minutes": round_.minutes}),
            pending=sum(c.disposition == Disposition.PENDING for c in comments),
            progress=TaskProgress.objects.filter(report=report).select_related("task").order_by("due", "task__order", "period_key"),
            indicators=IndicatorValue.objects.filter(report=report).select_related("indicator").order_by("indicator__order"),
        )
        return context


class CommentSubmitView(RoundMixin, View):
    def post(self, request, *args, **kwargs):
        round_ = self.get_round()
        speak_for = service.parties_user_may_speak_for(round_, request.user)
        if not speak_for:
            messages.error(request, _("Bạn không được gửi ý kiến trong đợt góp ý này. / You may not comment in this round."))
            return redirect(self.round_url(round_))
        form = CommentForm(request.POST, parties=speak_for)
        if form.is_valid():
            try:
                service.submit_comment(round_, form.cleaned_data["party"], form.cleaned_data["text"], user=request.user)
            except ReviewError as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("Đã ghi nhận ý kiến góp ý."))
                return redirect(self.round_url(round_))
        return _render_detail(request, self, round_, comment=form)


class MeetingView(RoundMixin, View):
    def post(self, request, *args, **kwargs):
        round_ = self.get_round()
        form = MeetingForm(request.POST)
        if form.is_valid():
            try:
                service.record_meeting(round_, user=request.user, **form.cleaned_data)
            except ReviewError as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("Đã lưu thông tin hội nghị."))
                return redirect(self.round_url(round_))
        return _render_detail(request, self, round_, meeting=form)


class CloseRoundView(RoundMixin, View):
    def post(self, request, *args, **kwargs):
        round_ = self.get_round()
        try:
            service.close_round(round_, user=request.user)
        except ReviewError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Đã kết thúc đợt góp ý."))
        return redirect(self.round_url(round_))


class DecideView(RoundMixin, View):
    """POST a disposition for one comment. htmx gets the comment's row back; a plain form, the page."""

    def post(self, request, *args, **kwargs):
        round_ = self.get_round()
        comment = get_object_or_404(
            Comment.objects.restrict(request.user).select_related("submitted_by", "party"), pk=kwargs["pk"], round=round_,
        )
        comment.round = round_
        form = DecisionForm(request.POST)
        error = None
        if form.is_valid():
            try:
                service.decide(comment, user=request.user, **form.cleaned_data)
            except ReviewError as refused:
                error = error_text(refused)
        else:
            error = _("Chọn tiếp thu hoặc giải trình và nhập nội dung. / Choose taken in or explained and write the response.")
        if request.headers.get("HX-Request"):
            comment.refresh_from_db()
            # 200 either way: htmx swaps only successful answers, and the refusal shows in the row.
            return render(request, "reviews/comments/_comment.html", {
                "comment": comment, "round": round_, "unit": self.unit, "year": self.year,
                "is_drafter": round_.closed_at is None and service.can_draft(request.user, round_.report),
                "decision_error": error, "decision_form": form if error else None,
            })
        if error:
            messages.error(request, error)
        return redirect(self.round_url(round_) + f"#comment-{comment.pk}")


def _render_detail(request, view, round_, **forms):
    """The round page again with the refused form and its errors (nothing typed is lost)."""
    detail = CommentRoundDetailView()
    detail.setup(request, **view.kwargs)
    detail.unit, detail.year, detail.round, detail.forms = view.unit, view.year, round_, forms
    return detail.render_to_response(detail.get_context_data(), status=400)
