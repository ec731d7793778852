"""Forms of the plan pages."""
from django import forms
from django.utils.translation import gettext_lazy as _

from plans.services.importing import (
    ACCEPTED_SUFFIXES, MAX_FILE_SIZE, PlanImportError, parse_plan_file, read_plan_file,
)


class PlanUploadForm(forms.Form):
    """A plan file to import. Valid only when the file is what its name says (checked by content)
    and the parser finds a plan in it: the preview never shows a file that could not be saved."""

    file = forms.FileField(
        label=_("Tệp kế hoạch"),
        help_text=_("Tệp .txt hoặc .docx, tối đa 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refuse an oversized upload before reading it into memory.
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa 5 MB)."), code="too_large")
        try:
            self.plan_file = read_plan_file(upload, filename=upload.name)
            self.parsed = parse_plan_file(self.plan_file)
        except PlanImportError as exc:
            raise forms.ValidationError(str(exc), code="not_a_plan") from exc
        return upload
