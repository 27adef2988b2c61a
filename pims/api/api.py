"""The JSON API (django-ninja). Each app contributes a router; every operation
authenticates by session and goes through the same selectors as the pages."""

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI
from ninja.security import SessionAuth

from .errors import document, install

api = NinjaAPI(
    title="人口信息管理系统 API",
    version="1",
    auth=SessionAuth(),
    urls_namespace="api",
    # The schema and its pages describe every operation: for signed-in users only.
    docs_decorator=login_required,
)

install(api)  # the one mapping of domain errors to answers


def _mount_routers():
    from pims.audit.api import router as audit_router
    from pims.codes.api import router as codes_router
    from pims.documents.api import router as documents_router
    from pims.events.api import router as events_router
    from pims.exchange.api import router as exchange_router
    from pims.programmes.api import router as programmes_router
    from pims.regions.api import router as regions_router
    from pims.registry.api import router as registry_router
    from pims.search.api import router as search_router
    from pims.stats.api import router as stats_router

    api.add_router("/regions", regions_router)
    api.add_router("/codes", codes_router)
    api.add_router("/audit", audit_router)
    api.add_router("/registry", registry_router)
    api.add_router("/events", events_router)
    api.add_router("/search", search_router)
    api.add_router("/stats", stats_router)
    api.add_router("/exchange", exchange_router)
    api.add_router("/programmes", programmes_router)
    api.add_router("/documents", documents_router)


_mount_routers()
document(api)  # every answer an operation can give is in the schema
