from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.notifications.models import Notification, StaffDelivery, StaffMessage


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin[Notification]):
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["recipient", "text"]


@admin.register(StaffMessage)
class StaffMessageAdmin(ReadOnlyAdmin[StaffMessage]):
    list_display = ["created_at", "kind", "user", "point", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "text"]


@admin.register(StaffDelivery)
class StaffDeliveryAdmin(ReadOnlyAdmin[StaffDelivery]):
    list_display = ["due_at", "channel", "status", "attempts", "sent_at", "error"]
    list_filter = ["channel", "status"]
