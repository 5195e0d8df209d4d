"""How the counter endpoints render what the services and selectors return: the customer card, a line
with its parcel, the whole session as the counter screen shows it, a finish's results and a texted code.
Times are in the point's time zone."""

from __future__ import annotations

from pvz.api.counter.schemas import (
    CardOut,
    CounterParcelOut,
    CustomerOut,
    ElsewhereOut,
    FetchCellOut,
    FinishOut,
    LineOut,
    LineResultOut,
    RefusalReasonOut,
    SessionOut,
    SmsSentOut,
)
from pvz.api.rendering import point_local
from pvz.core import clock
from pvz.core.phone import phone_masked
from pvz.counter import selectors
from pvz.counter.models import CustomerCode, IssueLine, IssueSession
from pvz.counter.selectors import CustomerCard, id_check_needed
from pvz.counter.services import FinishResult
from pvz.network.models import PickupPoint
from pvz.shipments.models import Customer, Shipment


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(id=customer.pk, name=customer.name, phone_masked=phone_masked(customer.phone))


def sms_sent_out(sent: CustomerCode, point: PickupPoint) -> SmsSentOut:
    """A code texted to the customer, of an issue session or of a return visit."""
    return SmsSentOut(
        sent_at=sent.created_at.astimezone(point.tz), expires_at=sent.expires_at.astimezone(point.tz)
    )


def parcel_out(shipment: Shipment) -> CounterParcelOut:
    return CounterParcelOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        partner=shipment.partner.name,
        status=shipment.status,
        cell=shipment.cell.address if shipment.cell else None,
        point_id=shipment.point_id,
        storage_deadline=point_local(shipment.storage_deadline, shipment.point),
        amount_due_kop=shipment.amount_due_kop,
        id_check_needed=id_check_needed(shipment),
        try_on_allowed=shipment.try_on_allowed,
        partial_refusal_allowed=shipment.partial_refusal_allowed,
        fragile=shipment.fragile,
    )


def card_out(card: CustomerCard) -> CardOut:
    return CardOut(
        customer=customer_out(card.customer),
        ready=[parcel_out(s) for s in card.ready],
        in_transit=[
            ElsewhereOut(parcel=parcel_out(p.shipment), point_name=p.point_name) for p in card.in_transit
        ],
        done=[parcel_out(s) for s in card.done],
    )


def line_out(line: IssueLine) -> LineOut:
    shipment = line.shipment
    reason = line.refusal_reason
    return LineOut(
        id=line.pk,
        shipment=parcel_out(shipment),
        state=line.state,
        scanned_at=line.scanned_at.astimezone(shipment.point.tz),
        refusal_reason=RefusalReasonOut(id=reason.pk, code=reason.code, title=reason.title)
        if reason
        else None,
        refusal_note=line.refusal_note,
        id_check_needed=id_check_needed(shipment),
        id_document=line.id_document,
        id_last4=line.id_last4,
        payment_needed=shipment.amount_due_kop > 0 and line.paid_at is None,
        payment_method=line.payment_method,
        paid_kop=line.paid_kop,
        result=line.result,
        result_code=line.result_code,
    )


def session_out(session: IssueSession, lines: list[IssueLine] | None = None) -> SessionOut:
    """The session as the counter screen shows it; `lines`: the session's lines with their parcels, when
    the caller has them in hand (else read, in scan order)."""
    point = session.point
    if lines is None:
        # A line is written with the session's first scan, so a session never scanned has none to read.
        lines = [] if session.first_scan_at is None else selectors.session_lines(session=session)
    card = selectors.customer_card(point=point, customer=session.customer, now=clock.now())
    return SessionOut(
        id=session.pk,
        point_id=session.point_id,
        status=session.status,
        customer=customer_out(session.customer),
        verification=session.verification,
        verified_at=point_local(session.verified_at, point),
        opened_by=str(session.opened_by),
        opened_at=session.opened_at.astimezone(point.tz),
        first_scan_at=point_local(session.first_scan_at, point),
        finished_at=point_local(session.finished_at, point),
        bags=session.bags,
        issued_count=session.issued_count,
        refused_count=session.refused_count,
        lines=[line_out(line) for line in lines],
        # The parcels still to fetch are the card's ready ones not yet scanned: no query of their own.
        fetch=[
            FetchCellOut(cell=cell.address, shipments=[parcel_out(s) for s in cell.shipments])
            for cell in selectors.fetch_cells(card.ready, scanned={line.shipment_id for line in lines})
        ],
        card=card_out(card),
    )


def finish_out(result: FinishResult) -> FinishOut:
    # The lines and parcels as the finish left them (each parcel changed in place), in scan order.
    lines = []
    for outcome in result.lines:
        outcome.line.shipment = outcome.shipment
        lines.append(outcome.line)
    lines.sort(key=lambda line: (line.scanned_at, line.pk))
    return FinishOut(
        session=session_out(result.session, lines),
        results=[
            LineResultOut(
                line_id=o.line.pk,
                shipment_id=o.shipment.pk,
                posting_number=o.shipment.posting_number,
                result=o.result,
                code=str(o.error.code) if o.error else None,
                message=str(o.error.message) if o.error else None,
            )
            for o in result.lines
        ],
    )


def line_fresh_out(line: IssueLine) -> LineOut:
    """The line read again with its parcel, cell, point and refusal reason, as a write left it."""
    fresh = (
        IssueLine.objects.select_related(
            "shipment__partner", "shipment__cell", "shipment__point", "refusal_reason"
        )
        .filter(pk=line.pk)
        .get()
    )
    return line_out(fresh)
