"""What a signed-out device is told, per reason its session was ended."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.usersessions.models import EndReason

ENDED_MESSAGES: dict[str, Promise] = {
    EndReason.NEW_LOGIN: _("Вы вошли на другом устройстве. Сеанс на этом устройстве завершён."),
    EndReason.PASSWORD_RESET: _("Пароль был сброшен. Сеанс на этом устройстве завершён, войдите снова."),
    EndReason.DEACTIVATED: _("Учётная запись отключена. Сеанс на этом устройстве завершён."),
    EndReason.SUSPENDED: _("Учётная запись приостановлена до проверки. Сеанс на этом устройстве завершён."),
}


def session_ended_message(reason: str | None) -> str | None:
    """The translated text for `reason`, or None for anything that is not a known reason (the login page
    takes the reason from its query string)."""
    message = ENDED_MESSAGES.get(reason or "")
    return None if message is None else str(message)
