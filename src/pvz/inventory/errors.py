"""Errors of inventory counts: a closed count, a parcel scan before a cell, a cell the count cannot take."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode


class InventoryClosed(DomainError):
    code = ErrorCode.INVENTORY_CLOSED
    default_message = _("Эта инвентаризация уже завершена или отменена. Сканы больше не принимаются.")


class NoCurrentCell(DomainError):
    code = ErrorCode.NO_CURRENT_CELL
    default_message = _("Сначала отсканируйте этикетку ячейки, потом отправления в ней.")


class CellOutOfScope(DomainError):
    code = ErrorCode.CELL_OUT_OF_SCOPE
    default_message = _("Эта ячейка не входит в инвентаризацию. Сканируйте ячейки своей зоны.")


class CellRetired(DomainError):
    code = ErrorCode.CELL_RETIRED
    default_message = _(
        "Ячейка выведена из работы: в ней не должно быть отправлений. Переложите их в действующую ячейку "
        "и отсканируйте её."
    )
