"""URLs of «Уведомления» (the in-app list, personal channel settings, the Web Push subscription), included
by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.notifications import views as notifications

urlpatterns: list[URLPattern] = [
    path("notifications/", notifications.notifications_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("account/notifications/", notifications.notifications_settings, name="notifications_settings"),
    path(
        "notifications/push/subscribe/", notifications.push_subscription, name="notifications_push_subscribe"
    ),
    path(
        "notifications/push/unsubscribe/",
        notifications.push_unsubscription,
        name="notifications_push_unsubscribe",
    ),
]
