"""Root URLs: the only place (with settings) that names every app."""
from django.contrib import admin
from django.urls import include, path
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mttq_platform import health, views

urlpatterns = [
    path("health/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mttq_platform.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL (no inline script, the site's CSP holds);
    # drf-spectacular's page and Swagger UI still write inline styles, allowed on this page only.
    path("api/docs/", csp_update({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("accounts/", include("mttq_platform.accounts_urls")),
    path("", views.home, name="home"),
    path("u/<str:code>/plans/", include("plans.urls")),
    path("u/<str:code>/reviews/", include("reviews.urls")),
    path("u/<str:code>/inspections/", include("inspections.urls")),
    path("sync/", include("sync.urls")),
    path("u/<str:code>/", include("orgtree.urls")),
]

handler404 = "mttq_platform.views.page_not_found"
handler403 = "mttq_platform.views.permission_denied"
handler500 = "mttq_platform.views.server_error"
