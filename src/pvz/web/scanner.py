"""One way to build a scanner screen: what every screen a scanner types into shares.

A scan is one POST carrying the code and a client-generated UUID (`ScanForm`); the UUID becomes the
service's idempotency key, so a scan resent after a dropped connection returns its first answer instead of
acting twice. The answer (a screen's own dataclass with an `error`, see `ScanAnswer`) is rendered as a
partial for `static/pvz/scanner.js` (it sends `SCANNER_HEADER`) or inside the whole page without
JavaScript (`scan_response`), with the HTTP status of its error. A scan the form refuses is
`unreadable(form)`, any other form sent with wrong fields `form_error(form)` (`valid_data` raises it); a
code found nowhere at the point is `not_here(error)`. A write runs once per client key (`write_once`).
Objects named in a URL are the point's own or a 404 (`at_this_point`): another point's are never disclosed.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, NotFound
from pvz.core.idempotency import idempotency_fingerprint, idempotent_call
from pvz.web.permissions import AtPointRequest, PointRequest

# Sent by static/pvz/scanner.js: such a request gets only the answer partial, not the whole page.
SCANNER_HEADER = "X-Pvz-Scanner"
T = TypeVar("T")


class Sound(StrEnum):
    """Which sound an answer makes (scanner.js): done, waiting for the next scan, put aside, refused."""

    OK = "ok"
    PROMPT = "prompt"
    WARNING = "warning"
    ERROR = "error"


class ScanForm(forms.Form):
    """The code as the scanner typed it (spaces kept: a layout fix needs them) and the scan's own key."""

    code = forms.CharField(max_length=200, strip=False)
    scan_id = forms.UUIDField()


class ScanAnswer(Protocol):
    """A screen's answer to one scan: what it shows is its own; the refusal, if any, is `error`."""

    @property
    def error(self) -> DomainError | None: ...


def answer_status(answer: ScanAnswer) -> int:
    return answer.error.http_status if answer.error is not None else 200


def unreadable(form: forms.Form) -> DomainError:
    """The refusal of a scan the form could not read (no code, no key)."""
    return DomainError(_("Скан не распознан. Отсканируйте ещё раз."), details=form.errors.get_json_data())


def form_error(form: forms.Form) -> DomainError:
    """The refusal of a form sent with wrong fields: the first error of each field, by its name."""
    fields = {name: str(errors[0]) for name, errors in form.errors.items()}
    return DomainError(_("Проверьте введённые данные."), details={"fields": fields})


def valid_data(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data; a form sent with wrong fields raises its `form_error`."""
    if not form.is_valid():
        raise form_error(form)
    return form.cleaned_data


def not_here(error: NotFound) -> NotFound:
    """A code that names nothing at this point, with the hint an operator can act on."""
    return NotFound(
        _("Не найдено на этой точке. Проверьте этикетку или введите номер под штрихкодом вручную."),
        details=error.details,
    )


def from_scanner(request: PointRequest) -> bool:
    return bool(request.headers.get(SCANNER_HEADER))


def scan_response(
    request: PointRequest,
    answer: ScanAnswer,
    *,
    partial: str,
    page: str,
    page_context: Callable[[], dict[str, Any]],
    partial_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer as a partial for scanner.js, else the whole page with the answer in it; either way with
    the status of the answer's error (so a refused scan is not a 200 to anything watching)."""
    status = answer_status(answer)
    if from_scanner(request):
        return render(request, partial, {"answer": answer, **(partial_context or {})}, status=status)
    return render(request, page, page_context(), status=status)


def write_once(
    request: PointRequest, area: str, key: str, payload: str, run: Callable[[], tuple[int, dict[str, Any]]]
) -> dict[str, Any]:
    """Run a scan's or a button's write once per client key (`web-<area>:<key>`, the caller's own): a
    replay returns the first answer and runs nothing; the same key with another payload is
    IDEMPOTENCY_MISMATCH. `run` answers (status, body); a stored error body is raised again."""
    done = idempotent_call(
        scope=f"user:{request.user.pk}",
        key=f"web-{area}:{key}",
        fingerprint=idempotency_fingerprint(method="POST", path=request.path, body=payload.encode()),
        run=run,
        actor=request.user,
    )
    if "error" in done.body:
        stored = done.body["error"]
        raise DomainError(stored["message"], code=stored["code"], details=stored["details"])
    return dict(done.body)


def at_this_point(request: AtPointRequest, find: Callable[[], T], point_id: Callable[[T], int]) -> T:
    """The object `find()` returns (it looks among the caller's points) if it belongs to the point the
    caller is working at now; anything else, found elsewhere or not at all, is a 404."""
    try:
        found = find()
    except NotFound:
        raise Http404 from None
    if point_id(found) != request.point.pk:
        raise Http404
    return found
