"""Writes of issuing at the counter: open a session, scan parcels into it, record inspection, refusal,
ID check, payment and bags, then finish (issue and refuse in one action) or cancel. One module per use case,
re-exported here.

Every write locks the session row first, so the actions on one customer's session queue. A parcel is
changed only by `session_finish`, through `shipment_transition_locked` under its row lock (rows locked in
id order, so two finishes can never deadlock); everything before the finish only records intent.
"""

from pvz.counter.services.commands import (
    CommandRefusal,
    line_refuse_last,
)
from pvz.counter.services.finishing import (
    FinishResult,
    LineOutcome,
    session_finish,
)
from pvz.counter.services.lines import (
    PAYMENT_REFERENCE_MAX,
    REFUSAL_NOTE_MAX,
    PaymentRecord,
    line_inspect,
    line_record_id_check,
    line_record_payment,
    line_refuse,
    line_take,
    line_try_on,
)
from pvz.counter.services.scanning import (
    ScanOutcome,
    session_scan,
    session_scan_as,
    shipment_issue_error,
)
from pvz.counter.services.sessions import (
    MAX_BAGS,
    lock_open_session,
    session_cancel,
    session_open,
    session_set_bags,
)

__all__ = [
    "MAX_BAGS",
    "PAYMENT_REFERENCE_MAX",
    "REFUSAL_NOTE_MAX",
    "CommandRefusal",
    "FinishResult",
    "LineOutcome",
    "PaymentRecord",
    "ScanOutcome",
    "line_inspect",
    "line_record_id_check",
    "line_record_payment",
    "line_refuse",
    "line_refuse_last",
    "line_take",
    "line_try_on",
    "lock_open_session",
    "session_cancel",
    "session_finish",
    "session_open",
    "session_scan",
    "session_scan_as",
    "session_set_bags",
    "shipment_issue_error",
]
