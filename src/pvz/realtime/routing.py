from django.urls import path

from pvz.notifications.consumers import StaffMessagesConsumer
from pvz.realtime.consumers import PointCountsConsumer

websocket_urlpatterns = [
    path("ws/points/<int:point_id>/", PointCountsConsumer.as_asgi()),
    path("ws/notifications/", StaffMessagesConsumer.as_asgi()),
]
