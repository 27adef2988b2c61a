from django.urls import path

from . import views

app_name = "search"
urlpatterns = [
    path("", views.search, name="search"),
    path("export/", views.export, name="export"),
    path("saved/", views.saved_list, name="saved_list"),
    path("saved/new/", views.saved_create, name="saved_create"),
    path("saved/<int:pk>/", views.saved_run, name="saved_run"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved_delete"),
]
