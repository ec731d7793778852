"""The sync status page: per peer, what was delivered and pulled, what is owed, what is parked."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sync.models import ParkedItem
from sync.services import status as sync_status


def _require_status_access(request) -> None:
    if not sync_status.may_see_status(request.user):
        raise PermissionDenied(_("Chỉ người quản lý cài đặt mới xem được trang đồng bộ. / "
                                 "Only the installation's managers may see the sync page."))


@login_required
def status_page(request):
    _require_status_access(request)
    return render(request, "sync/status.html", {"statuses": sync_status.statuses()})


@login_required
@require_POST
def retry_parked(request, pk: int):
    """Apply a parked incoming item again; it is resolved when it applies, kept with the new
    reason when it still fails."""
    _require_status_access(request)
    from sync.services.pull import retry_parked_item

    item = get_object_or_404(sync_status.unresolved_parked(), pk=pk)
    if retry_parked_item(item):
        messages.success(request, _("Đã áp dụng lại mục. / The item was applied."))
    else:
        item = ParkedItem.objects.get(pk=item.pk)
        messages.error(request, _("Mục vẫn chưa áp dụng được: %(reason)s") % {"reason": item.reason})
    return redirect("sync-status")
