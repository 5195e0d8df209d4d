"""The lifecycles of issue sessions and of their lines as data (`pvz.core.lifecycle`): every change of a
session's `status` goes through `SESSION`, every change of a line's `state` through `LINE`, and nothing else
writes them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.lifecycle import Lifecycle
from pvz.counter.models import LineState, SessionStatus

S = SessionStatus

SESSION: Lifecycle[SessionStatus] = Lifecycle(
    "issue session",
    SessionStatus,
    {
        # One customer's visit: finished (parcels issued or refused) or cancelled (nothing changed), once.
        S.OPEN: {S.FINISHED, S.CANCELLED},
        S.FINISHED: set(),
        S.CANCELLED: set(),
    },
    message=_("Эта выдача уже завершена или отменена. Откройте новую выдачу."),
)

L = LineState

# Until the finish a line only records what the customer means to do, who may change their mind: a parcel
# is looked at again (→ the same state), taken after a look or a refusal (or taken again, which clears the
# refusal fields), refused in any state (a second #REFUSE<n> only changes the reason: REFUSED → REFUSED).
# Only a refused parcel cannot be inspected or tried on: its refusal is undone first (→ TAKEN). Whether
# try-on is offered at all is the partner's rule (TRY_ON_NOT_ALLOWED), not the table's.
_ANY = set(LineState)

LINE: Lifecycle[LineState] = Lifecycle(
    "issue line",
    LineState,
    {
        L.TAKEN: _ANY,
        L.INSPECTING: _ANY,
        L.TRYING_ON: _ANY,
        L.REFUSED: {L.TAKEN, L.REFUSED},
    },
    field="state",
    message=_("Отправление в отказе. Сначала отмените отказ."),
)
