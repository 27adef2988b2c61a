from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("new/", views.message_new, name="message_new"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    *(
        path(f"<int:pk>/{action}/", views.message_action, {"action": action}, name=f"message_{action}")
        for action in views.ACTIONS
    ),
]
