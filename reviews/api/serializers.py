"""Serializers of the reviews API: reports with their progress rows, indicators, approval history,
accepted versions and evidence. Writes go through the services, never through these."""
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import (
    ApprovalAction, ApprovalEvent, Evidence, IndicatorValue, ProgressStatus, ReportVersion, TaskProgress, UnitReport,
)
from reviews.services.approval import available_actions, can_edit


class EvidenceSerializer(serializers.ModelSerializer):
    progress = serializers.PrimaryKeyRelatedField(read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download = serializers.SerializerMethodField(help_text="The permission-checked download page of the file.")

    class Meta:
        model = Evidence
        fields = ["uuid", "progress", "original_name", "content_type", "size", "sha256", "description",
                  "uploaded_by", "uploaded_at", "download"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download(self, evidence) -> str:
        # The report's unit is the unit of the URL: readable by it and by every unit above it.
        code = evidence.progress.report.unit.code
        return reverse("evidence-download", kwargs={"code": code, "uuid": evidence.uuid})


class TaskProgressSerializer(serializers.ModelSerializer):
    report = serializers.UUIDField(source="report.uuid", read_only=True)
    task = serializers.UUIDField(source="task.uuid", read_only=True)
    task_number = serializers.CharField(source="task.number", read_only=True)
    task_text = serializers.CharField(source="task.text", read_only=True)
    overdue = serializers.SerializerMethodField(help_text="Due date passed and not done (derived, never typed).")
    points = serializers.IntegerField(read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TaskProgress
        fields = ["id", "report", "task", "task_number", "task_text", "period_key", "period_label", "period_start",
                  "period_end", "due", "status", "percent", "narrative", "reason", "overdue", "points",
                  "updated_at", "updated_by"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, row) -> bool:
        return row.status != ProgressStatus.DONE and row.due < timezone.localdate()


class TaskProgressDetailSerializer(TaskProgressSerializer):
    evidence = serializers.SerializerMethodField()

    class Meta(TaskProgressSerializer.Meta):
        fields = [*TaskProgressSerializer.Meta.fields, "evidence"]
        read_only_fields = fields

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, row):
        # The report is the row's own (already loaded): no query per file for its unit.
        files = list(row.evidence.all())
        for evidence in files:
            evidence.progress = row
        return EvidenceSerializer(files, many=True, context=self.context).data


class ProgressWriteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProgressStatus.choices, required=False)
    percent = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    narrative = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)


class IndicatorValueSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)
    name_en = serializers.CharField(source="indicator.name_en", read_only=True)
    group = serializers.CharField(source="indicator.group", read_only=True)
    measure_unit = serializers.CharField(source="indicator.measure_unit", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = ["code", "name", "name_en", "group", "measure_unit", "value", "note"]
        read_only_fields = fields


class ApprovalEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    actor_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ApprovalEvent
        fields = ["action", "version", "comment", "actor", "actor_unit", "at"]
        read_only_fields = fields


class ReportVersionSerializer(serializers.ModelSerializer):
    accepted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReportVersion
        fields = ["version", "accepted_at", "accepted_by", "snapshot"]
        read_only_fields = fields


class UnitReportSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:unitreport-detail", lookup_field="uuid")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    plan = serializers.UUIDField(source="plan.uuid", read_only=True, allow_null=True, default=None)
    submitted_on_time = serializers.BooleanField(read_only=True)
    accepted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = UnitReport
        fields = ["url", "uuid", "unit", "unit_name", "year", "plan", "status", "version", "due_date", "summary",
                  "first_submitted_at", "submitted_at", "submitted_on_time", "accepted_at", "accepted_by",
                  "updated_at"]
        read_only_fields = fields


class UnitReportDetailSerializer(UnitReportSerializer):
    progress = TaskProgressDetailSerializer(many=True, read_only=True)
    indicators = IndicatorValueSerializer(source="indicator_values", many=True, read_only=True)
    events = ApprovalEventSerializer(many=True, read_only=True)
    editable = serializers.SerializerMethodField(help_text="Whether the caller may record progress now.")
    actions = serializers.SerializerMethodField(help_text="Approval steps the caller may take now.")

    class Meta(UnitReportSerializer.Meta):
        fields = [*UnitReportSerializer.Meta.fields, "editable", "actions", "progress", "indicators", "events"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_editable(self, report) -> bool:
        return can_edit(self.context["request"].user, report)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ApprovalAction.choices)))
    def get_actions(self, report) -> list:
        return available_actions(self.context["request"].user, report)


class ApprovalStepSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="Required to return, reopen and waive.")


class ReportSummarySerializer(serializers.Serializer):
    summary = serializers.CharField(allow_blank=True)


class OpenReportSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Code of the unit whose report to open (the caller's own unit).")
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class EvidenceUploadSerializer(serializers.Serializer):
    progress = serializers.IntegerField(help_text="Id of the progress row the file is evidence of.")
    file = serializers.FileField(help_text="PDF, DOCX, XLSX, ODT, JPEG or PNG (checked by content).")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

