"""A carriage before acceptance: its ETA while it travels, and the registration of its arrival (the data of
the arrival act); the carriage's row lock, and the audit record and live push every carriage change ends
with."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.audit.services import audit_record
from pvz.core import clock
from pvz.core.broadcast import point_changed
from pvz.core.effects import after_commit
from pvz.core.errors import Conflict, DomainError, NotFound
from pvz.core.logging import get_logger
from pvz.inbound.errors import ArrivalMismatch
from pvz.inbound.models import Carriage, CarriageStatus
from pvz.inbound.outbox import outbox_carriage_event
from pvz.inbound.selectors import NOT_ARRIVED, carriages_approaching_data
from pvz.inbound.statuses import CARRIAGE

log = get_logger(__name__)

# Russian plates: letter, 3 digits, 2 letters, 2–3 digit region; only letters that look alike in Latin.
PLATE_LETTERS = "АВЕКМНОРСТУХ"
_LATIN_LOOKALIKES = str.maketrans("ABEKMHOPCTYX", PLATE_LETTERS)
_PLATE = re.compile(rf"[{PLATE_LETTERS}]\d{{3}}[{PLATE_LETTERS}]{{2}}\d{{2,3}}")
_SEAL = re.compile(r"[0-9A-ZА-ЯЁ]{4,20}")
DRIVER_NAME_MAX = 200
SEALS_MAX = 10
MAX_ETA_AHEAD = dt.timedelta(days=30)


def carriage_push(carriage: Carriage, now: dt.datetime) -> None:
    # Every change of a carriage passes here: its partner's webhook outbox row joins the transaction.
    outbox_carriage_event(carriage, at=now)
    after_commit(
        point_changed,
        carriage.point_id,
        topic="carriage",
        data={
            "id": carriage.pk,
            "status": carriage.status,
            "eta": carriage.eta.astimezone(carriage.point.tz).isoformat() if carriage.eta else None,
            "approaching": carriages_approaching_data(point=carriage.point, now=now),
        },
    )


def carriage_audit(action: str, carriage: Carriage, *, actor: User | None, **details: Any) -> None:
    """The audit record of a change to `carriage` (inbound or return), at its point, naming its number."""
    audit_record(
        action=action,
        actor=actor,
        point_id=carriage.point_id,
        obj=carriage,
        details={"number": carriage.number, **details},
    )


def carriage_lock(carriage_id: int) -> Carriage:
    try:
        return (
            Carriage.objects.select_for_update(of=("self",))
            .select_related("point", "partner")
            .get(pk=carriage_id)
        )
    except Carriage.DoesNotExist:
        raise NotFound(details={"carriage_id": carriage_id}) from None


def carriage_eta_update(*, actor: User | None, carriage: Carriage, eta: dt.datetime) -> Carriage:
    """New ETA of a carriage that has not arrived: from now (inclusive) to 30 days ahead (inclusive)."""
    if timezone.is_naive(eta):
        raise DomainError(_("Укажите время с часовым поясом."), details={"field": "eta"})
    now = clock.now()
    if eta < now or eta > now + MAX_ETA_AHEAD:
        raise DomainError(
            _("Время прибытия должно быть не раньше текущего момента и не позже чем через 30 дней."),
            details={"field": "eta"},
        )
    with transaction.atomic():
        locked = carriage_lock(carriage.pk)
        if locked.status not in NOT_ARRIVED:
            raise Conflict(
                _("Перевозка уже прибыла или закрыта: время прибытия больше не меняется."),
                details={"status": locked.status},
            )
        previous = locked.eta
        locked.eta = eta
        locked.save(update_fields=["eta", "updated_at"])
        carriage_audit(
            "carriage.eta_updated",
            locked,
            actor=actor,
            old_eta=previous.astimezone(dt.UTC).isoformat() if previous else None,
            eta=eta.astimezone(dt.UTC).isoformat(),
        )
        carriage_push(locked, now)
    log.info("carriage_eta_updated", carriage_id=locked.pk, actor_id=getattr(actor, "pk", None))
    return locked


@dataclass(frozen=True)
class ArrivalData:
    driver_name: str
    vehicle_plate: str
    seal_numbers: tuple[str, ...]


def plate_normalize(raw: str) -> str:
    """«a123bc 777» → «А123ВС777»: upper case, no spaces or dashes, Latin look-alikes made Cyrillic."""
    return re.sub(r"[\s-]", "", raw).upper().translate(_LATIN_LOOKALIKES)


def arrival_data_clean(*, driver_name: str, vehicle_plate: str, seal_numbers: Sequence[str]) -> ArrivalData:
    """Validated arrival-act fields; empty ones are "not given". All problems are reported at once."""
    problems: dict[str, str] = {}
    name = " ".join(driver_name.split())
    if len(name) > DRIVER_NAME_MAX:
        problems["driver_name"] = str(_("Имя водителя — не длиннее 200 символов."))
    plate = plate_normalize(vehicle_plate)
    if plate and not _PLATE.fullmatch(plate):
        problems["vehicle_plate"] = str(
            _("Номер машины в формате А123ВС77 или А123ВС777 (буквы А, В, Е, К, М, Н, О, Р, С, Т, У, Х).")
        )
    seals = [s.strip().upper() for s in seal_numbers if s.strip()]
    if any(not _SEAL.fullmatch(s) for s in seals):
        problems["seal_numbers"] = str(_("Номер пломбы — от 4 до 20 букв и цифр."))
    elif len(set(seals)) != len(seals):
        problems["seal_numbers"] = str(_("Номера пломб повторяются."))
    elif len(seals) > SEALS_MAX:
        problems["seal_numbers"] = str(_("Не больше 10 пломб."))
    if problems:
        raise DomainError(details={"fields": problems})
    return ArrivalData(driver_name=name, vehicle_plate=plate, seal_numbers=tuple(seals))


def carriage_arrive(carriage: Carriage, *, actor: User | None, data: ArrivalData, at: dt.datetime) -> None:
    """Write the arrival onto the locked `carriage`; one still announced becomes ARRIVED."""
    carriage.arrived_at = at
    carriage.driver_name = data.driver_name
    carriage.vehicle_plate = data.vehicle_plate
    carriage.seal_numbers = list(data.seal_numbers)
    carriage.arrival_registered_by = actor
    if carriage.status in NOT_ARRIVED:
        CARRIAGE.set(carriage, CarriageStatus.ARRIVED)
    carriage.save()


def carriage_register_arrival(
    *,
    actor: User | None,
    carriage: Carriage,
    driver_name: str = "",
    vehicle_plate: str = "",
    seal_numbers: Sequence[str] = (),
    arrived_at: dt.datetime | None = None,
) -> Carriage:
    """Record that the vehicle is here, with the data of the arrival act. Registering again is a no-op
    when it repeats the registered data or gives none; other data is ARRIVAL_MISMATCH (CONFLICT), since
    the act may already have been signed."""
    data = arrival_data_clean(driver_name=driver_name, vehicle_plate=vehicle_plate, seal_numbers=seal_numbers)
    now = clock.now()
    if arrived_at is not None and (timezone.is_naive(arrived_at) or arrived_at > now):
        raise DomainError(
            _("Время прибытия не может быть в будущем."), details={"fields": {"arrived_at": "future"}}
        )
    with transaction.atomic():
        locked = carriage_lock(carriage.pk)
        if locked.arrived_at is not None:
            registered = ArrivalData(locked.driver_name, locked.vehicle_plate, tuple(locked.seal_numbers))
            repeats = data in (registered, ArrivalData("", "", ())) and arrived_at in (
                None,
                locked.arrived_at,
            )
            if not repeats:
                raise ArrivalMismatch(
                    details={
                        "arrived_at": locked.arrived_at.isoformat(),
                        "driver_name": locked.driver_name,
                        "vehicle_plate": locked.vehicle_plate,
                        "seal_numbers": locked.seal_numbers,
                    }
                )
            return locked
        carriage_arrive(locked, actor=actor, data=data, at=arrived_at or now)
        carriage_audit(
            "carriage.arrived",
            locked,
            actor=actor,
            arrived_at=locked.arrived_at.astimezone(dt.UTC).isoformat() if locked.arrived_at else None,
            vehicle_plate=data.vehicle_plate,
            seals=len(data.seal_numbers),
        )
        carriage_push(locked, now)
    log.info("carriage_arrived", carriage_id=locked.pk, actor_id=getattr(actor, "pk", None))
    return locked
