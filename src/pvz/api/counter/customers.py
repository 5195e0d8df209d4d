"""Counter endpoints that find the customer before a session opens: the refusal reasons of a point's
partners, a pickup code or QR verified into the customer card, and the search by order, parcel or phone."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from pvz.accounts.roles import Perm
from pvz.api.counter.rendering import card_out, customer_out, parcel_out
from pvz.api.counter.schemas import (
    CounterCodeIn,
    CounterSearchHitOut,
    CounterSearchQuery,
    IdentifyOut,
    RefusalReasonOut,
)
from pvz.api.errors import READ_ERRORS, ErrorOut
from pvz.api.permissions import point_of, requires
from pvz.core import clock
from pvz.counter import selectors
from pvz.counter.identify import customer_identify, customer_search

router = Router()


@router.get(
    "/counter/points/{point_id}/refusal-reasons",
    response={200: list[RefusalReasonOut], **READ_ERRORS},
    operation_id="counter_refusal_reasons",
    summary="Refusal reasons (a partner's own list, else the default one)",
)
@requires(Perm.OPERATE)
def refusal_reasons(
    request: HttpRequest, point_id: int, partner_id: int | None = None
) -> list[RefusalReasonOut]:
    point = point_of(request)
    partner = point.partners.filter(pk=partner_id).first() if partner_id is not None else None
    return [
        RefusalReasonOut(id=r.pk, code=r.code, title=r.title)
        for r in selectors.refusal_reasons_for(partner=partner)
    ]


@router.post(
    "/counter/points/{point_id}/identify",
    response={200: IdentifyOut, **READ_ERRORS, 400: ErrorOut},
    operation_id="counter_identify",
    summary="Verify a pickup code or QR token and show the customer card",
    description=(
        "Changes nothing (a POST only to keep codes out of URLs). Wrong 4 digits or a tampered QR: "
        "400 CODE_INVALID; a QR older than 300 s: 400 CODE_EXPIRED; unknown number: 404."
    ),
)
@requires(Perm.OPERATE)
def identify(request: HttpRequest, point_id: int, payload: CounterCodeIn) -> IdentifyOut:
    point = point_of(request)
    now = clock.now()
    found = customer_identify(code=payload.code, now=now)
    return IdentifyOut(
        verification=found.verification,
        card=card_out(selectors.customer_card(point=point, customer=found.customer, now=now)),
    )


@router.get(
    "/counter/points/{point_id}/customers/search",
    response={200: list[CounterSearchHitOut], **READ_ERRORS},
    operation_id="counter_customer_search",
    summary="Find customers with parcels here by order, posting number, barcode or phone",
    description="Not a verification: a session opened from a hit needs an SMS code before issuing.",
)
@requires(Perm.OPERATE)
def customers_search(
    request: HttpRequest, point_id: int, query: Query[CounterSearchQuery]
) -> list[CounterSearchHitOut]:
    point = point_of(request)
    return [
        CounterSearchHitOut(
            customer=customer_out(hit.customer), shipments=[parcel_out(s) for s in hit.shipments]
        )
        for hit in customer_search(point=point, query=query.q)
    ]
