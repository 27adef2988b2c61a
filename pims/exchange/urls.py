from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("new/", views.message_new, name="message_new"),
    path("inquiry-by-id/", views.inquiry_by_id, name="inquiry_by_id"),
    path("report/", views.report_home, name="report_home"),
    path("report/<str:code>/", views.report_view, name="report"),
    path("report/<str:code>/export.<slug:fmt>", views.report_export, name="report_export"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    path("<int:pk>/list/", views.handover_list_view, name="handover_list"),
    path("<int:pk>/list.pdf", views.handover_pdf, name="handover_pdf"),
    path("<int:pk>/list/confirm-send/", views.handover_confirm_send, name="handover_confirm_send"),
    path("<int:pk>/list/confirm-receive/", views.handover_confirm_receive, name="handover_confirm_receive"),
    *(
        path(f"<int:pk>/{action}/", views.message_action, {"action": action}, name=f"message_{action}")
        for action in views.ACTIONS
    ),
]
