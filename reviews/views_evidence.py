"""Evidence files, served only here: looked up through the one restriction, streamed as attachments.

The files live under PRIVATE_MEDIA_ROOT, which no web server serves. A user reads an evidence file
when they may read its report: their own unit's and their subtree's. A sibling's file, or an unknown
uuid, is the same 404.
"""
from django.http import FileResponse, Http404
from django.views import View

from mttq_platform.tenancy import UnitViewMixin
from reviews.models import Evidence


class EvidenceDownloadView(UnitViewMixin, View):
    def get(self, request, code, uuid):
        unit = self.unit
        evidence = (
            Evidence.objects.restrict(request.user)
            .filter(uuid=uuid, progress__report__unit__tree_id=unit.tree_id,
                    progress__report__unit__lft__gte=unit.lft, progress__report__unit__lft__lte=unit.rght)
            .first()
        )
        if evidence is None:
            raise Http404(str(uuid))
        return private_file_response(evidence)


def private_file_response(evidence) -> FileResponse:
    """Stream a privately stored evidence-like row (``file``, ``original_name``, ``content_type``)
    as a download; a file missing from the storage is a 404. The caller has already decided, through
    the one restriction, that the user may read it."""
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(str(getattr(evidence, "uuid", ""))) from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name or evidence.file.name,
                            content_type=evidence.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
