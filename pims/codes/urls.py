from django.urls import path

from . import views

app_name = "codes"
urlpatterns = [
    path("", views.table_list, name="table_list"),
    path("<slug:key>/", views.table_detail, name="table_detail"),
    path("<slug:key>/edit/", views.table_edit, name="table_edit"),
]
