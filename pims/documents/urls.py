from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/new/", views.registration_new, name="registration_new"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/issue/", views.registration_issue, name="registration_issue"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("registrations/<int:pk>/pdf/", views.registration_pdf, name="registration_pdf"),
    # Public (no sign-in): the URL a document's QR code holds.
    path("verify/<str:token>/", views.verify, name="verify"),
]
