"""`@idempotent`: the API side of request idempotency (rules in `pvz.core.idempotency`).

Put it under the route decorator of every state-changing operation::

    @router.post("/things", response={201: ThingOut, 400: ErrorOut, 422: ErrorOut, 409: ErrorOut})
    @idempotent
    def things_create(request, payload: ThingIn) -> Status:
        return Status(201, thing_create(actor=request.auth, ...))

An operation whose body may be larger than Django's in-memory limit (a 10 000-line manifest) names its
own limit: `@idempotent(max_body=lambda: settings.SOME_LIMIT)`; a longer body is 413 before anything runs.

The caller sends a unique `Idempotency-Key` header per action. The handler runs inside `idempotent_call`,
its result is shaped by the operation's response schema right there, and that JSON is what is stored and
sent, so the first answer and every replay are identical; a replay carries `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from ninja import Status
from ninja.constants import NOT_SET
from ninja.errors import ConfigError
from ninja.operation import Operation, ResponseObject
from ninja.renderers import JSONRenderer
from ninja.signature.utils import get_typed_signature
from ninja.utils import contribute_operation_callback

from pvz.api.errors import audit_denial
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.idempotency import KEY_HEADER, JsonText, idempotency_fingerprint, idempotent_call
from pvz.partners.models import PartnerApiKey

Handler = TypeVar("Handler", bound=Callable[..., Any])

REPLAYED_HEADER = "Idempotent-Replayed"
# The statuses this decorator itself answers with (missing key; bad key or mismatch); the operation must
# declare them so the OpenAPI document tells clients the whole story.
_OWN_STATUSES = (400, 422)
# The renderer NinjaAPI uses by default; the stored body is already JSON-native, so this only encodes it.
_RENDERER = JSONRenderer()

_KEY_PARAMETER = {
    "in": "header",
    "name": KEY_HEADER,
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": (
        "A new unique key (e.g. a UUID) per action. Resending the same request with the same key within "
        "48 hours returns the first response again with the header `Idempotent-Replayed: true` and changes "
        "nothing; the same key with a different request is 422 IDEMPOTENCY_MISMATCH; a missing key is 400."
    ),
}


def idempotent(handler: Handler | None = None, *, max_body: Callable[[], int] | None = None) -> Any:
    """Make a django-ninja operation run once per `Idempotency-Key` of its caller (see the module doc).
    `max_body`: the operation's own body limit in bytes, read per request, instead of Django's."""
    if handler is None:
        return functools.partial(_idempotent, max_body=max_body)
    return _idempotent(handler, max_body=max_body)


def _idempotent(handler: Handler, *, max_body: Callable[[], int] | None) -> Handler:
    if inspect.iscoroutinefunction(handler):
        raise ConfigError(f"@idempotent supports sync handlers only: {handler.__qualname__}")
    bound: list[Operation] = []

    def bind(operation: Operation) -> None:
        missing = [status for status in _OWN_STATUSES if status not in operation.response_models]
        if missing:
            raise ConfigError(f"{handler.__qualname__}: declare ErrorOut for {missing} in `response`")
        extra = dict(operation.openapi_extra or {})
        extra["parameters"] = [*extra.get("parameters", []), _KEY_PARAMETER]
        operation.openapi_extra = extra
        bound.append(operation)

    @functools.wraps(handler)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(KEY_HEADER)
        if not key:
            missing_key = DomainError(
                _("Не передан заголовок Idempotency-Key: повторите запрос с уникальным ключом."),
                code=ErrorCode.VALIDATION_FAILED,
                details={"header": KEY_HEADER},
            )
            # 400, not the 422 of VALIDATION_FAILED: the request is unusable as sent, whatever its body.
            return _respond(request, 400, {"error": missing_key.as_dict()})
        if max_body is not None:
            _read_body(request, max_body())
        partner_key = _partner_key(request)
        actor: AbstractBaseUser | None = None
        if partner_key is not None:
            scope = f"partner:{partner_key.partner_id}"
        else:
            actor = _caller(request)
            scope = f"user:{actor.pk}"
        outcome = idempotent_call(
            scope=scope,
            key=key,
            fingerprint=idempotency_fingerprint(
                method=request.method or "", path=request.get_full_path(), **_request_body(request)
            ),
            run=lambda: _serialise(bound[0], request, handler(request, *args, **kwargs)),
            actor=actor,
        )
        response = _respond_text(outcome.status_code, outcome.text)
        if outcome.status_code == 403 and not outcome.replayed:  # a refusal the handler raised
            audit_denial(request, status=403, details=outcome.body["error"]["details"])
        if outcome.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    # Ninja reads parameter types from the view's signature and resolves string annotations (this project
    # uses `from __future__ import annotations`) in the view's module, which for this wrapper would be the
    # wrong one: hand it the handler's signature, resolved where the handler lives.
    view.__signature__ = get_typed_signature(handler)  # type: ignore[attr-defined]
    contribute_operation_callback(view, bind)
    return view  # type: ignore[return-value]


def _partner_key(request: HttpRequest) -> PartnerApiKey | None:
    """The partner API key a partner API request authenticated with: its keys share the partner's scope,
    so a retry after a key rotation is still a replay."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PartnerApiKey) else None


def _caller(request: HttpRequest) -> AbstractBaseUser:
    # A signed-in staff user (partner calls are scoped "partner:<id>" before this is reached).
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if isinstance(user, AbstractBaseUser) and user.is_authenticated:
        return user
    raise DomainError(_("Войдите в систему, чтобы продолжить."), code=ErrorCode.NOT_AUTHENTICATED)


def _read_body(request: HttpRequest, limit: int) -> None:
    """Read the body up to `limit` bytes (RequestDataTooBig, answered 413, past it) and keep it on the
    request as Django's own `request.body` does, so the fingerprint and the handler both read it there."""
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if length.isdigit() and int(length) > limit:
        raise RequestDataTooBig
    if "multipart/form-data" in request.META.get("CONTENT_TYPE", ""):
        return  # uploads are streamed to files by Django; the handler checks their size
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise RequestDataTooBig
    request._body = raw  # what HttpRequest.body caches, as it would
    request._stream = io.BytesIO(raw)


def _request_body(request: HttpRequest) -> dict[str, Any]:
    try:
        return {"body": request.body, "content_type": request.META.get("CONTENT_TYPE", "")}
    except RawPostDataException:
        # Ninja has already streamed a multipart upload into POST and FILES, so the raw bytes are gone:
        # fingerprint the fields and the content of each file instead.
        files = {
            name: [(upload.name, upload.size, _sha256(upload)) for upload in request.FILES.getlist(name)]
            for name in request.FILES
        }
        fields = {name: request.POST.getlist(name) for name in request.POST}
        body = json.dumps({"fields": fields, "files": files}, ensure_ascii=False).encode()
        return {"body": body, "content_type": "application/json"}


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)  # the handler reads it next
    return digest.hexdigest()


def _serialise(operation: Operation, request: HttpRequest, result: Any) -> tuple[int, Any]:
    """The handler's result as ninja would send it: its status, and the body shaped by the operation's
    response schema and encoded as JSON text, ready to be stored, sent and replayed."""
    models = operation.response_models
    status = next(iter(models)) if len(models) == 1 else 200
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    elif isinstance(result, HttpResponse):
        # A hand-made response bypasses the schema and may not be JSON: nothing reliable to store.
        raise ConfigError(f"{operation.view_func.__qualname__}: an idempotent handler must return data")
    if status in models:
        model = models[status]
    elif Ellipsis in models:
        model = models[Ellipsis]
    else:
        raise ConfigError(f"Schema for status {status} is not set in response {list(models)}")

    if model is None:  # declared as an empty response, e.g. 204
        return status, None
    data = result
    dump = {
        "by_alias": operation.by_alias,
        "exclude_unset": operation.exclude_unset,
        "exclude_defaults": operation.exclude_defaults,
        "exclude_none": operation.exclude_none,
    }
    if model is not NOT_SET and type(result) is model.model_fields["response"].annotation:
        # Already an instance of the declared schema, validated when the handler built it: dumping it
        # gives what validating it again through ninja's attribute getters would, at a fraction of the
        # cost (a scan answer: ~0.5 ms).
        data = result.model_dump(**dump, context={"request": request, "response_status": status})
    elif model is not NOT_SET:
        context = {"request": request, "response_status": status}
        data = model.model_validate(ResponseObject(result), context=context).model_dump(
            by_alias=operation.by_alias,
            exclude_unset=operation.exclude_unset,
            exclude_defaults=operation.exclude_defaults,
            exclude_none=operation.exclude_none,
            context=context,
        )["response"]
    return status, JsonText(_RENDERER.render(request, data, response_status=status))


def _respond_text(status: int, text: str) -> HttpResponse:
    """The stored answer, byte for byte ("null" stands for an empty response)."""
    if text == "null":
        return HttpResponse(status=status)
    content_type = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"
    return HttpResponse(text, status=status, content_type=content_type)


def _respond(request: HttpRequest, status: int, body: Any) -> HttpResponse:
    if body is None:
        return HttpResponse(status=status)
    return HttpResponse(
        _RENDERER.render(request, body, response_status=status),
        status=status,
        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}",
    )


def caller_event_key(request: HttpRequest, *, caller: str, action: str) -> str:
    """The key recorded on the shipment event. Event keys are unique across all callers while request
    keys are unique per caller, so `caller` is folded in; hashed to fit the event's 100 characters."""
    raw = f"{caller}:{request.headers.get(KEY_HEADER, '')}"
    return f"api-{action}:{hashlib.sha256(raw.encode()).hexdigest()}"


def event_key(request: HttpRequest, user: AbstractBaseUser, action: str) -> str:
    """The event key of a signed-in user's request."""
    return caller_event_key(request, caller=str(user.pk), action=action)
