"""The customer's page from the "ready" SMS: the current QR token to show at the counter, and the pickup
code. No sign-in: the signed link is the customer's key, so the page is never cached nor leaked onward."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pvz.core import clock
from pvz.core.printing import qr_svg, svg_inline
from pvz.counter.tokens import QR_REFRESH_SECONDS, qr_token_mint
from pvz.shipments.customer_links import customer_link_customer
from pvz.shipments.pickup_codes import pickup_code_for
from pvz.web.permissions import public_page


@public_page
@never_cache
@require_GET
def customer_qr(request: HttpRequest, link: str) -> HttpResponse:
    customer = customer_link_customer(link)
    if customer is None:
        raise Http404
    token = qr_token_mint(customer=customer, now=clock.now())
    response = render(
        request,
        "web/counter/customer_qr.html",
        {
            # segno writes the SVG itself from the token: no user input reaches the markup.
            "qr_svg": mark_safe(svg_inline(qr_svg(token, scale=8))),  # noqa: S308
            "token": token,
            "pickup_code": pickup_code_for(customer),
            "refresh_seconds": QR_REFRESH_SECONDS,
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
