"""Included by pims.registry.urls as ``path("checks/", include(...))``; no
app_name, so the names live in the ``registry`` namespace."""

from django.urls import path

from . import check_views

urlpatterns = [
    path("", check_views.check_run_list, name="check_run_list"),
    path("start/", check_views.check_run_create, name="check_run_create"),
    path("<int:pk>/", check_views.check_run_detail, name="check_run_detail"),
    path("<int:pk>/<str:rule_id>/<str:village_code>/", check_views.check_run_cell, name="check_run_cell"),
]
