from django.urls import path

from . import views

app_name = "params"
urlpatterns = [
    path("", views.parameter_list, name="list"),
    path("<str:key>/", views.parameter_detail, name="detail"),
    path("<str:key>/amend/", views.parameter_amend_view, name="amend"),
]
