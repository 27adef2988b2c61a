"""Quality pages, included by the registry's urls as ``quality/``."""

from django.urls import path

from . import quality_views as views

app_name = "quality"
urlpatterns = [
    path("samples/", views.sample_list, name="sample_list"),
    path("samples/new/", views.sample_create, name="sample_create"),
    path("samples/<int:pk>/", views.sample_detail, name="sample_detail"),
    path("samples/items/<int:pk>/record/", views.sample_item_record, name="sample_item_record"),
    path("completeness/", views.completeness_report, name="completeness"),
    path("baseline/<str:code>/", views.baseline_edit, name="baseline_edit"),
]
