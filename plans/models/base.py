from django.db.models import Q

from mttq_platform.permissions import RestrictedQuerySet

# Documents that a descendant may read: everything a unit has issued, in any later state.
PUBLISHED_STATUSES = ("issued", "amended", "superseded")


class DocumentQuerySet(RestrictedQuerySet):
    """Plan documents: own subtree, plus the published documents of the units above."""

    unit_path = "unit"
    status_path = "status"
    readable_from_ancestors = True

    def ancestor_readable_q(self, ancestors_q: Q) -> Q:
        # A draft of a unit above stays with that unit; only what it has issued flows down.
        return ancestors_q & Q(**{f"{self.status_path}__in": PUBLISHED_STATUSES})


class DocumentPartQuerySet(DocumentQuerySet):
    """Sections, tasks, parties...: visible exactly when their document is."""

    unit_path = "document__unit"
    status_path = "document__status"


class DocumentPartMixin:
    """Audit rows of a document's parts are filed under the document's unit."""

    def audit_unit_id(self):
        return self.document.unit_id
