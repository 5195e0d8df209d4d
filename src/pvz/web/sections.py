"""The staff UI's sections, one per process at the point, declared once for the menu and the URLs."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.accounts.roles import Perm


@dataclass(frozen=True)
class Section:
    slug: str
    title: str | Promise
    perm: Perm
    # What the section will do once it arrives; shown instead of placeholder content.
    promise: str | Promise
    template: str = "web/home/section.html"
    # URL name of the section's real page once it exists; until then a placeholder page is served.
    page: str | None = None

    @property
    def url_name(self) -> str:
        return f"web:{self.page or self.slug}"


SECTIONS: tuple[Section, ...] = (
    Section(
        "acceptance",
        _("Приёмка"),
        Perm.OPERATE,
        _(
            "Приёмка перевозок и тары по манифесту: сканирование отправлений, излишки и недостачи, "
            "акт о расхождениях."
        ),
        page="acceptance_list",
    ),
    Section(
        "placement",
        _("Размещение"),
        Perm.OPERATE,
        _("Размещение принятых отправлений по ячейкам с подсказкой подходящей ячейки."),
        page="placement_scan",
    ),
    Section(
        "issue",
        _("Выдача"),
        Perm.OPERATE,
        _(
            "Выдача клиенту по коду получения или SMS-коду: проверка каждой посылки сканированием, "
            "проверка документа, оплата, примерка и частичный отказ."
        ),
        page="issue_home",
    ),
    Section(
        "returns",
        _("Возвраты"),
        Perm.OPERATE,
        _("Приём возвратов от клиентов в срок возврата: причина, состояние, фото и возвратная этикетка."),
        page="returns_home",
    ),
    Section(
        "dispatch",
        _("Отправка"),
        Perm.OPERATE,
        _("Сборка возвратной перевозки и передача курьеру с подтверждением кодом или подписью."),
        page="dispatch_list",
    ),
    Section(
        "returnflow",
        _("Возвратный поток"),
        Perm.OPERATE,
        _(
            "Всё, что уходит обратно партнёрам: ждёт отправки или ещё не в зоне возврата, по партнёрам и "
            "причинам, с возрастом; залежавшееся выделено. Утерянные — отдельно."
        ),
        page="returnflow",
    ),
    Section(
        "expiry",
        _("Сроки хранения"),
        Perm.OPERATE,
        _("Что истекает сегодня, и вынос отправлений с истёкшим сроком в зону возврата сканированием."),
        page="expiry",
    ),
    Section(
        "search",
        _("Поиск"),
        Perm.VIEW_POINT,
        _(
            "Поиск предметов по номеру отправления или заказа, штрихкоду, таре, коду получения, ячейке "
            "или телефону клиента."
        ),
        page="search",
    ),
    Section(
        "cells",
        _("Ячейки"),
        Perm.MANAGE_POINT,
        _("Схема ячеек точки: адреса, размеры, вместимость, заполненность и инвентаризация."),
        page="cells_list",
    ),
    Section(
        "inventory",
        _("Инвентаризация"),
        Perm.OPERATE,
        _(
            "Пересчёт отправлений по ячейкам точки или зоны: найденные, не на своём месте, ненайденные и "
            "неизвестные; отчёт об инвентаризации."
        ),
        page="inventory_home",
    ),
    Section(
        "reports",
        _("Отчёты"),
        Perm.MANAGE_POINT,
        _("Отчёты за любой период: приёмка, выдача, возвраты, сроки хранения; выгрузка в Excel и PDF."),
    ),
    Section(
        "audit",
        _("Журнал"),
        Perm.VIEW_AUDIT,
        _(
            "Журнал действий: входы, отправленные коды, отказы в доступе, изменения прав и выгрузки; "
            "фильтры и выгрузка в CSV."
        ),
        page="audit",
    ),
    Section(
        "anomalies",
        _("Тревоги"),
        Perm.MANAGE_POINT,
        _(
            "Подозрительные операции сотрудников: выдачи без сканирования, частые SMS-подтверждения, выдачи "
            "вне часов работы, частый ручной ввод кодов; закрытие тревог и снятие блокировок."
        ),
        page="anomalies",
    ),
    Section(
        "closing",
        _("Закрытие точки"),
        Perm.MANAGE_POINT,
        _(
            "Закрытие точки: новые поставки не принимаются, список того, что ещё должно уйти, и "
            "завершение, когда точка пуста."
        ),
        page="closing",
    ),
    Section(
        "staff",
        _("Сотрудники"),
        Perm.MANAGE_STAFF,
        _(
            "Сотрудники точки: приглашение по телефону, роли и точки, дополнительные права, отключение "
            "доступа."
        ),
        page="staff",
    ),
    Section(
        "learning",
        _("Обучение"),
        Perm.VIEW_POINT,
        _("Короткие курсы и уроки по работе в ПВЗ с отметкой о прохождении."),
    ),
    Section(
        "support",
        _("Поддержка"),
        Perm.VIEW_POINT,
        _("Чат с поддержкой платформы и обращения с историей ответов."),
    ),
)

SECTIONS_BY_SLUG: dict[str, Section] = {section.slug: section for section in SECTIONS}
