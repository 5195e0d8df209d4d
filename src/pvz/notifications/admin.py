from django.contrib import admin

from pvz.core.admin import ReadOnlyAdmin
from pvz.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["recipient", "text"]
