from django.urls import path

from . import historic_views, honour_views, views

app_name = "documents"
urlpatterns = [
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/new/", views.registration_new, name="registration_new"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/issue/", views.registration_issue, name="registration_issue"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("registrations/<int:pk>/mismatch/", views.registration_mismatch, name="registration_mismatch"),
    path("registrations/<int:pk>/pdf/", views.registration_pdf, name="registration_pdf"),
    path("honour/", honour_views.honour_list, name="honour_list"),
    path("honour/new/", honour_views.honour_new, name="honour_new"),
    path("honour/<int:pk>/", honour_views.honour_detail, name="honour_detail"),
    path("honour/<int:pk>/pdf/", honour_views.honour_pdf, name="honour_pdf"),
    *(
        path(f"honour/<int:pk>/{action}/", honour_views.honour_action, {"action": action}, name=f"honour_{action}")
        for action in honour_views.ACTIONS
    ),
    path("historic/", historic_views.historic_list, name="historic_list"),
    path("historic/import/", historic_views.historic_import, name="historic_import"),
    path("historic/import/<int:pk>/", historic_views.historic_import_detail, name="historic_import_detail"),
    path(
        "historic/import/<int:pk>/progress/", historic_views.historic_import_progress, name="historic_import_progress"
    ),
    path(
        "historic/import/<int:pk>/rejected/", historic_views.historic_import_rejected, name="historic_import_rejected"
    ),
    # Public (no sign-in): the URL a document's QR code holds.
    path("verify/<str:token>/", views.verify, name="verify"),
]
