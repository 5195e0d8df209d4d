"""The one answer to an acceptance scan: what it was, where the parcel goes, the progress, and the message
for the operator. Built by the Python path (`inbound.services`) and by the database path
(`inbound.scan_database`) alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.inbound.models import AcceptanceScan, ScanOutcomeKind, Tote
from pvz.inbound.selectors import AcceptanceProgress, ToteLine, ToteProgress
from pvz.network.models import Cell
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import Status

_MESSAGES: dict[ScanOutcomeKind, str | Promise] = {
    ScanOutcomeKind.TOTE_OPENED: _("Тара %(tote)s открыта: принято %(scanned)s из %(expected)s."),
    ScanOutcomeKind.ACCEPTED: _("Принято. Ячейка %(cell)s."),
    ScanOutcomeKind.ALREADY_ACCEPTED: _("Уже принято (%(status)s). Место: %(cell)s."),
    ScanOutcomeKind.SURPLUS: _("Излишек: нет в этой перевозке. Принято, ячейка %(cell)s."),
    ScanOutcomeKind.OTHER_POINT: _("Отправление другого ПВЗ. Отложите его отдельно."),
    ScanOutcomeKind.UNKNOWN: _("Код %(code)s не найден. Проверьте этикетку или введите номер вручную."),
    ScanOutcomeKind.UNKNOWN_LABEL: _(
        "Этикетка %(partner)s, но такого отправления нет в системе. Отложите его — оно войдёт в акт как "
        "излишек без данных."
    ),
    ScanOutcomeKind.NOT_A_LABEL: _(
        "Это не этикетка отправления (штрихкод товара?). Отсканируйте этикетку партнёра."
    ),
    ScanOutcomeKind.TOTE_OF_OTHER_CARRIAGE: _(
        "Тара %(tote)s не из этой перевозки. Отложите её и сообщите водителю."
    ),
}
_NO_CELL = _("нет свободной — разместите вручную")
# Outcomes the act lists: parcels put aside (or accepted as surplus) rather than simply received.
FLAGGED = frozenset({ScanOutcomeKind.SURPLUS, ScanOutcomeKind.OTHER_POINT, ScanOutcomeKind.UNKNOWN_LABEL})


@dataclass(frozen=True)
class ScanOutcome:
    """The one answer to an acceptance scan: what it was, where the parcel goes, and the progress."""

    kind: ScanOutcomeKind
    scan: AcceptanceScan
    progress: AcceptanceProgress
    shipment: Shipment | None = None
    tote: Tote | None = None
    cell: Cell | None = None
    placed: bool = False
    tote_progress: ToteProgress | None = None
    tote_lines: tuple[ToteLine, ...] = ()
    replayed: bool = False

    @property
    def flagged(self) -> bool:
        """Put aside and listed in the act."""
        return self.kind in FLAGGED

    @property
    def message(self) -> str:
        tote = self.tote_progress
        params = {
            "cell": self.cell.address if self.cell else _NO_CELL,
            "code": self.scan.code,
            "partner": self.scan.label_partner.name if self.scan.label_partner else "",
            "tote": self.tote.barcode if self.tote else "",
            "status": Status(self.shipment.status).label if self.shipment else "",
            "scanned": tote.scanned if tote else 0,
            "expected": tote.expected if tote else 0,
        }
        return str(_MESSAGES[self.kind]) % params
