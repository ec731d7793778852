"""Root URLs: the only place (with settings) that names every app."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mttq_platform import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mttq_platform.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
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
