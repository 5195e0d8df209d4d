from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import Conflict


class DeliveryNotReplayable(Conflict):
    default_message = _("Эта доставка ещё ожидает отправки: повторять нечего.")
