from django.urls import path

from pvz.realtime.consumers import PointCountsConsumer

websocket_urlpatterns = [
    path("ws/points/<int:point_id>/", PointCountsConsumer.as_asgi()),
]
