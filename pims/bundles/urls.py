from django.urls import path

from . import views

app_name = "bundles"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("export/", views.export_start, name="export_start"),
]
