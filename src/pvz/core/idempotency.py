"""Request-level idempotency: a retried state-changing request gets the first answer, and never runs twice.

Rules (DOMAIN rule 9), each pinned by tests/core/test_idempotency.py:

- A key is 1–100 visible ASCII characters (a client-generated UUID fits); anything else is
  VALIDATION_FAILED with details {"header": "Idempotency-Key"}.
- Keys are unique per scope ("user:12", later "partner:3"): the same key from another scope is independent.
- First call: the record is claimed, `run()` runs and its `(status, body)` is stored, in one transaction
  (two statements besides `run()`'s). A DomainError from `run()` becomes the stored outcome (its HTTP
  status, body {"error": exc.as_dict()}): whatever `run()` wrote is rolled back with the transaction and
  the error is stored right after by a claim of its own, so the replay repeats the same error and nothing
  is half-saved. (Should an identical request slip in between and claim the key first, its answer is
  the one kept and this caller gets it as a replay.) Any other exception propagates and stores nothing,
  so the client may retry with the same key.
- Replay (same scope, key and fingerprint): the stored status and body, `replayed=True`; nothing runs.
- Same scope and key with another fingerprint: IDEMPOTENCY_MISMATCH (422); nothing runs, nothing changes.
- Two concurrent first calls: exactly one runs, the other waits for its commit and replays it.
- Records older than 48 hours are purged by a periodic task; after that a key may be used afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any
from urllib.parse import parse_qsl

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.models import IdempotencyRecord
from pvz.core.sql import db_datetime, execute, fetch_one

KEY_HEADER = "Idempotency-Key"
RETENTION = dt.timedelta(hours=48)

_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,100}")
# A web form carries a fresh CSRF token per rendered page; it proves the session, not what was asked for,
# so a scan resent from a reloaded page must still match its first attempt.
_NOT_PART_OF_THE_REQUEST = frozenset({"csrfmiddlewaretoken"})


class JsonText(str):
    """An answer already encoded as JSON text: stored and sent as it is, not encoded again."""


@dataclass(frozen=True)
class IdempotentOutcome:
    status_code: int
    text: str  # the answer as stored: JSON text, "null" for an empty response
    replayed: bool

    @cached_property
    def body(self) -> Any:
        return json.loads(self.text)


def idempotency_fingerprint(*, method: str, path: str, body: bytes, content_type: str = "") -> str:
    """sha256 hex of what a request asks for: method, path with query string, and the body in canonical form
    (JSON with sorted keys and no spacing; form fields sorted), so a client that re-encodes the same
    request on retry still matches, while any change of meaning does not."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    canonical = body
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            parsed = json.loads(body)
        except ValueError:
            pass  # malformed JSON: the raw bytes are the request (and the handler will refuse it)
        else:
            canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    elif media_type == "application/x-www-form-urlencoded":
        # Sorted by name only: the order of repeated fields (a list of scanned codes) stays meaningful.
        fields = sorted(
            (
                (name, value)
                for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                if name not in _NOT_PART_OF_THE_REQUEST
            ),
            key=lambda field: field[0],
        )
        canonical = json.dumps(fields, ensure_ascii=False).encode()
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        # Length-prefixed, so that no other split of the same bytes into path and body can collide.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotent_call(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    run: Callable[[], tuple[int, Any]],
    actor: AbstractBaseUser | None = None,
) -> IdempotentOutcome:
    """Run `run()` once per (scope, key) and return its `(status, JSON body)`; see the module docstring for
    replay, mismatch, DomainError and concurrency rules. `body` must be JSON-native (dicts, lists, str,
    numbers, None; None stands for an empty response) or `JsonText`.

    A new key costs two statements: the record is claimed before `run()` (an INSERT that does nothing when
    the key exists: on PostgreSQL a concurrent insert of the same key makes it wait until that
    transaction ends, so only one caller ever runs; on SQLite the IMMEDIATE transaction queues writers)
    and answered after it (an UPDATE), in one transaction. A DomainError from `run()` rolls the whole
    transaction back, claim included, and the error is then stored with a claim of its own."""
    _key_validate(key)
    actor_id = actor.pk if actor is not None else None
    try:
        with transaction.atomic():
            record_id = _claim(scope, key, fingerprint, actor_id)
            if record_id is None:
                raise _Taken
            status_code, body = run()
            text = _encoded(body)
            _answer(record_id, status_code, text)
        return IdempotentOutcome(status_code=status_code, text=text, replayed=False)
    except _Taken:
        pass
    except DomainError as exc:
        status_code, text = exc.http_status, _encoded({"error": exc.as_dict()})
        with transaction.atomic():
            if _claim(scope, key, fingerprint, actor_id, answer=(status_code, text)) is not None:
                return IdempotentOutcome(status_code=status_code, text=text, replayed=False)
    # The key was taken: by an earlier request, or by one that ran at the same time and has committed.
    stored = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if stored is None:  # purged in between: extremely unlikely; the caller may simply retry
        raise DomainError(
            _("Запрос с этим ключом только что обработан. Повторите его."), code=ErrorCode.CONFLICT
        )
    return _replay(stored, fingerprint=fingerprint)


class _Taken(Exception):
    """The (scope, key) is claimed already."""


def _encoded(body: Any) -> str:
    return body if isinstance(body, JsonText) else json.dumps(body, ensure_ascii=False)


@cache
def _claim_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(IdempotencyRecord._meta.db_table)} "  # noqa: S608 (the model's table)
        "(scope, key, actor_id, fingerprint, status_code, response_json, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scope, key) DO NOTHING RETURNING id"
    )


def _claim(
    scope: str, key: str, fingerprint: str, actor_id: int | None, *, answer: tuple[int, str] | None = None
) -> int | None:
    """Insert the record (its answer still to come, unless given) and return its id; None when the
    (scope, key) exists. The status 0 of an unanswered record is never seen outside its transaction."""
    status_code, text = answer or (0, "")
    params = [scope, key, actor_id, fingerprint, status_code, text, db_datetime(clock.now())]
    row = fetch_one(_claim_sql(), params)
    return None if row is None else int(row[0])


@cache
def _answer_sql() -> str:
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    return f"UPDATE {table} SET status_code = %s, response_json = %s WHERE id = %s"  # noqa: S608 (model's table)


def _answer(record_id: int, status_code: int, text: str) -> None:
    execute(_answer_sql(), [status_code, text, record_id])


def idempotency_records_purge(*, older_than: dt.timedelta = RETENTION) -> int:
    """Delete records created more than `older_than` ago (one exactly that old stays); returns how many."""
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=clock.now() - older_than).delete()
    return deleted


def _key_validate(key: str) -> None:
    if not _KEY_PATTERN.fullmatch(key):
        raise DomainError(
            _("Ключ идемпотентности должен состоять из 1–100 видимых латинских символов, например UUID."),
            code=ErrorCode.VALIDATION_FAILED,
            details={"header": KEY_HEADER},
        )


def _replay(record: IdempotencyRecord, *, fingerprint: str) -> IdempotentOutcome:
    if record.fingerprint != fingerprint:
        raise DomainError(
            _("Этот ключ уже использован для другого запроса. Для нового действия нужен новый ключ."),
            code=ErrorCode.IDEMPOTENCY_MISMATCH,
            details={"header": KEY_HEADER},
        )
    return IdempotentOutcome(status_code=record.status_code, text=record.response_json, replayed=True)
