from rest_framework import serializers

from plans.models import LegalBasis, PlanDocument, Responsibility, Section, Task, TaskParty


class TaskPartySerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    body = serializers.StringRelatedField()
    level_limit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TaskParty
        fields = ["role", "text", "kind", "relative_code", "scope", "level_limit", "unit", "body"]


class TaskSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="document.uuid", read_only=True)
    section = serializers.CharField(source="section.number", read_only=True, allow_null=True, default=None)
    parent_task = serializers.UUIDField(source="parent_task.uuid", read_only=True, allow_null=True, default=None)
    parties = TaskPartySerializer(many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "uuid", "plan", "section", "number", "bullet", "text", "steps", "output", "notes",
            "timeframe_text", "timeframe", "parties", "parent_task", "carried_as",
        ]


class SectionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Section
        fields = ["number", "title", "text", "parent"]


class LegalBasisSerializer(serializers.ModelSerializer):
    referenced_plan = serializers.UUIDField(source="referenced_document.uuid", read_only=True, allow_null=True, default=None)

    class Meta:
        model = LegalBasis
        fields = ["text", "reference", "reference_date", "referenced_plan"]


class ResponsibilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Responsibility
        fields = ["number", "party", "text"]


class PlanDocumentSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent_plan = serializers.UUIDField(source="parent_plan.uuid", read_only=True, allow_null=True, default=None)
    url = serializers.HyperlinkedIdentityField(view_name="api:plandocument-detail", lookup_field="uuid")

    class Meta:
        model = PlanDocument
        fields = [
            "url", "uuid", "unit", "kind", "number", "symbol", "number_symbol", "place", "date", "title",
            "status", "version", "issued_at", "parent_plan",
        ]


class PlanDocumentDetailSerializer(PlanDocumentSerializer):
    """The whole document: what the .docx export and the central collection carry."""

    legal_bases = LegalBasisSerializer(many=True, read_only=True)
    sections = SectionSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    responsibilities = ResponsibilitySerializer(many=True, read_only=True)
    signer = serializers.SerializerMethodField()

    class Meta(PlanDocumentSerializer.Meta):
        fields = PlanDocumentSerializer.Meta.fields + [
            "issuer_text", "preamble", "legal_bases", "sections", "tasks", "responsibilities", "closing",
            "recipients", "signer", "unrecognized", "directive_year",
        ]

    def get_signer(self, document) -> dict:
        return {"on_behalf": document.signer_on_behalf, "title": document.signer_title, "name": document.signer_name}
