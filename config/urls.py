from django.urls import include, path

from pims.api.api import api
from pims.ops.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("pims.accounts.urls")),
    path("regions/", include("pims.regions.urls")),
    path("codes/", include("pims.codes.urls")),
    path("params/", include("pims.params.urls")),
    path("audit/", include("pims.audit.urls")),
    path("registry/", include("pims.registry.urls")),
    path("events/", include("pims.events.urls")),
    path("stats/", include("pims.stats.urls")),
    path("search/", include("pims.search.urls")),
    path("imports/", include("pims.integration.urls")),
    path("exchange/", include("pims.exchange.urls")),
    path("approval/", include("pims.approval.urls")),
    path("documents/", include("pims.documents.urls")),
    path("bundles/", include("pims.bundles.urls")),
    path("programmes/", include("pims.programmes.urls")),
    path("ops/", include("pims.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("pims.web.urls")),
]

# The error pages: Chinese, in the site's layout, with a way back (pims.web.errors).
handler400 = "pims.web.errors.bad_request"
handler403 = "pims.web.errors.permission_denied"
handler404 = "pims.web.errors.page_not_found"
handler500 = "pims.web.errors.server_error"
