from django.urls import path

from . import preference_views, views

app_name = "integrations"
urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", views.read, name="notification_read"),
    path("notifications/settings/", preference_views.notification_settings, name="notification_settings"),
]
