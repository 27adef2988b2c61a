"""The project's URLs plus one view that fails (for the 500 page's test)."""

from django.urls import path

from config.urls import *  # noqa: F403 - the handlers too
from config.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("a fault of the system")


urlpatterns = [*project_urlpatterns, path("boom/", boom)]
