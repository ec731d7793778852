from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from mttq_platform.api.errors import json_error_response
from mttq_platform.tenancy import user_memberships


@login_required
def home(request):
    """Land in the user's first unit; superusers without a unit go to the root of the tree."""
    memberships = user_memberships(request)
    if memberships:
        return redirect("unit-home", code=memberships[0].unit.code)
    if request.user.is_superuser:
        from django.apps import apps

        root = apps.get_model("orgtree", "OrgUnit").objects.root_nodes().order_by("tree_id").first()
        if root is not None:
            return redirect("unit-home", code=root.code)
    return render(request, "no_unit.html", status=403)


def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return json_error_response(404, "not_found")
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error_response(403, "permission_denied")
    return render(request, "errors/403.html", status=403)


def server_error(request):
    if _is_api(request):
        return json_error_response(500, "server_error")
    return render(request, "errors/500.html", status=500)
