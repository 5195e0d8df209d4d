"""Input hygiene in one place: a NUL character or a lone UTF-16 surrogate in any text the server is sent is
refused as 422 VALIDATION_FAILED before a view runs, nothing written.

PostgreSQL cannot store U+0000 in text (a 500 on whichever field met it first), and a lone surrogate
cannot be encoded as UTF-8 (a 500 wherever the text is encoded: the idempotency fingerprint, the database).
Neither is ever typed by a person, so the request is refused as a whole rather than cleaned.

Checked: the URL path, the query string, a form (urlencoded, and the text fields of a multipart upload,
not the files' content), and a JSON body (keys and values, at any depth, as the handler would decode them).
Websockets are not HTTP requests and are not seen here.

Cheap on the common path: bytes are searched for the only spellings either character can have (`%00`, a
raw NUL, a `\\u0000` or `\\uD800`-`\\uDFFF` escape) and decoded only when one is there."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from pvz.core.errors import DomainError
from pvz.core.logging import get_logger

log = get_logger("pvz.hygiene")

# A text value the server refuses: U+0000 or a UTF-16 surrogate not part of a pair (Python keeps a lone
# `\ud800` from JSON as that code point; a valid pair decodes to one character outside this range).
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# An escape of NUL or of a surrogate in a JSON body (hex in either case; a valid pair, an emoji, also
# starts so and is told apart once decoded); a raw NUL byte is looked for apart. One pattern with a literal
# start, which `re` scans fastest: about 1.8 ms per MB of Cyrillic JSON full of \u escapes.
_JSON_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# A multipart part's disposition: its field name and, for a file, the file's name.
_DISPOSITION = re.compile(
    rb'content-disposition:[^\r\n]*?\bname="(?P<name>[^"]*)"(?:[^\r\n]*?\bfilename="(?P<filename>[^"]*)")?',
    re.IGNORECASE,
)
_BASE64 = re.compile(rb"content-transfer-encoding:\s*base64", re.IGNORECASE)


class _Refused(Exception):
    def __init__(self, place: str, field: str, character: str) -> None:
        super().__init__(place, field)
        # The name is echoed back and logged: the bad character itself cannot be (it may not encode).
        self.place, self.field, self.character = place, _BAD_CHARACTER.sub("\ufffd", field), character


class InputHygieneMiddleware:
    """Refuses a request whose text carries NUL or a lone surrogate: the API's error body under /api/, a
    page with the message elsewhere. In `process_view`, so it runs after the CSRF check (a forged form is
    still 403) and only for a URL that names a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        try:
            _check_path(request)
            _check_query(request)
            _check_body(request)
        except _Refused as refused:
            return _refusal(request, refused)
        return None


def _check_path(request: HttpRequest) -> None:
    if "\x00" in request.path_info:
        raise _Refused("path", "", "\x00")


def _check_query(request: HttpRequest) -> None:
    query = str(request.META.get("QUERY_STRING", ""))
    # Django decodes the query with errors="replace", so no surrogate comes out of it; NUL only from %00.
    if "%00" in query or "\x00" in query:
        _check_pairs("query", ((name, value) for name in request.GET for value in request.GET.getlist(name)))


def _check_body(request: HttpRequest) -> None:
    length = _content_length(request)
    if length == 0:
        return
    media_type = str(request.META.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data" and length > int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0):
        # Photos (five of 10 MB to a return): parsed as the view will, files streamed to disk. No view can
        # read such a body as `request.body` (Django refuses it by its length), so nothing is lost.
        _check_parsed_multipart(request)
    elif length > _scan_limit():
        return  # larger than any operation accepts: refused as too large before it is read
    elif media_type == "multipart/form-data":
        # Never cached as `request.body`: the idempotency fingerprint of an upload is its fields and files,
        # not its bytes (a retry has another boundary), and it reads the body only when Django has it.
        _check_multipart(_raw_body(request, length, cache=False), str(request.META.get("CONTENT_TYPE", "")))
    elif media_type == "application/x-www-form-urlencoded":
        raw = _raw_body(request, length)
        if b"%00" in raw or b"\x00" in raw:
            text = raw.decode("utf-8", "replace")
            _check_pairs("body", parse_qsl(text, keep_blank_values=True))
        # The API parses a body as JSON whatever its declared type: JSON sent as a form is checked as JSON.
        _check_json(raw)
    else:
        _check_json(_raw_body(request, length))


def _check_parsed_multipart(request: HttpRequest) -> None:
    if request.method != "POST":
        return  # Django parses multipart bodies of POST only; no view reads another
    try:
        fields, files = request.POST, request.FILES
    except Exception as exc:
        # A body Django refuses (too many fields, malformed): the view meets the same exception when it
        # reads the form, as it would have without this check.
        _defer(request, exc)
        return
    _check_pairs("body", ((name, value) for name in fields for value in fields.getlist(name)))
    _check_pairs("body", ((name, upload.name or "") for name in files for upload in files.getlist(name)))


def _defer(request: HttpRequest, exc: Exception) -> None:
    def load_again() -> NoReturn:
        raise exc

    for parsed in ("_post", "_files"):
        if hasattr(request, parsed):
            delattr(request, parsed)
    request._load_post_and_files = load_again  # type: ignore[method-assign]


def _check_multipart(raw: bytes, content_type: str) -> None:
    """The text fields of a multipart body and its files' names, not the files' content (a photo's bytes
    hold NUL as a matter of course). Read from the raw bytes, not through `request.POST`: a view may read
    `request.body` itself, which Django refuses once the form has been parsed. A text field's bytes are
    UTF-8 (decoded with replacement, so no surrogate comes out): NUL is a zero byte, or one in base64."""
    _, parameters = parse_header_parameters(content_type)
    boundary = parameters.get("boundary", "").encode("latin-1", "replace")
    if not boundary or (b"\x00" not in raw and _BASE64.search(raw) is None):
        return
    for part in raw.split(b"--" + boundary)[1:]:
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = _DISPOSITION.search(head)
        if disposition is None:
            continue
        name = disposition.group("name").decode("utf-8", "replace")
        filename = disposition.group("filename")
        if filename is not None:
            _check_pairs("body", [(name, filename.decode("utf-8", "replace"))])
            continue
        content = content.removesuffix(b"\r\n")
        if _BASE64.search(head):
            with suppress(ValueError):
                content = base64.b64decode(content)
        if b"\x00" in content:
            raise _Refused("body", name, "\x00")


def _check_json(raw: bytes) -> None:
    if b"\x00" not in raw and _JSON_SUSPECT_ESCAPE.search(raw) is None:
        return
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        if b"\x00" in raw:
            raise _Refused("body", "", "\x00") from None
        return  # not JSON: the handler refuses it as such
    for path, text in _strings(document):
        found = _BAD_CHARACTER.search(text)
        if found is not None:
            raise _Refused("body", path, found.group())


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every key and string value of a JSON document with its dotted path; iterative, as deep as it goes."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, key
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value)
            )


def _check_pairs(place: str, pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        for text in (name, value):
            found = _BAD_CHARACTER.search(text)
            if found is not None:
                raise _Refused(place, name, found.group())


def _content_length(request: HttpRequest) -> int:
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    return int(length) if length.isdigit() else 0


def _scan_limit() -> int:
    return max(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0), int(settings.PVZ_INPUT_HYGIENE_MAX_BODY))


def _raw_body(request: HttpRequest, length: int, *, cache: bool = True) -> bytes:
    """The body, left readable for the view exactly as before: through `request.body` when Django would
    read it into memory anyway (and `cache`); otherwise read from the stream and put back unread, so
    `request.body` still refuses it by its length, `request.read` gets it whole and `request.POST` parses
    it."""
    if cache and length <= int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0):
        return request.body
    raw = request.read(length)
    request._stream = io.BytesIO(raw)
    request._read_started = False  # type: ignore[attr-defined]
    return raw


def _refusal(request: HttpRequest, refused: _Refused) -> HttpResponse:
    character = f"U+{ord(refused.character):04X}"
    log.warning("input_refused", path=request.path, place=refused.place, field=refused.field, char=character)
    message = _("Текст содержит недопустимый символ %(char)s. Уберите его и повторите.") % {"char": character}
    error = DomainError(
        details={
            "fields": [
                {"in": refused.place, "field": refused.field, "type": "invalid_character", "message": message}
            ]
        }
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"error": error.as_dict()}, status=error.http_status)
    return render(request, "422.html", {"message": message}, status=error.http_status)
