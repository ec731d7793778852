"""Which unit took over from which when the administrative map changed (the 2025 reform: old
communes merged into new ones, merged provinces into a new province). Ended units stay in the
tree with their history; a succession links them to the units that carry their work on."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from mttq_platform.audit import AuditedModel
from mttq_platform.permissions import READ, RestrictedQuerySet


class UnitSuccessionQuerySet(RestrictedQuerySet):
    unit_path = "successor"

    def restrict(self, user, action: str = READ, *, with_extra: bool = True):
        """A succession names two units: it is visible only when both are, so nobody learns the
        code of a unit outside what they may read."""
        from orgtree.models.units import OrgUnit

        units = OrgUnit.objects.restrict(user, action, with_extra=with_extra)
        return self.filter(predecessor__in=units.values("pk"), successor__in=units.values("pk"))


class UnitSuccession(AuditedModel):
    predecessor = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="successor_links",
                                    verbose_name=_("đơn vị trước"))
    successor = models.ForeignKey("orgtree.OrgUnit", models.PROTECT, related_name="predecessor_links",
                                  verbose_name=_("đơn vị kế tục"))
    effective_date = models.DateField(_("ngày hiệu lực"))
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = UnitSuccessionQuerySet.as_manager()

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name = _("kế tục đơn vị")
        verbose_name_plural = _("kế tục đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="orgtree_succession_unique"),
            models.CheckConstraint(condition=~models.Q(predecessor=models.F("successor")),
                                   name="orgtree_succession_not_itself"),
        ]

    def __str__(self):
        # The reform builds successions from loaded units, so this costs no query there.
        return f"{self.predecessor.code} → {self.successor.code}"

    def audit_unit_id(self):
        # The unit formed (or continuing) sees in its audit what it was formed from.
        return self.successor_id
