"""Request-level idempotency: a retried state-changing request gets the first answer, and never runs twice.

Rules (DOMAIN rule 9), each pinned by tests/core/test_idempotency.py:

- A key is 1–100 visible ASCII characters (a client-generated UUID fits); anything else is
  VALIDATION_FAILED with details {"header": "Idempotency-Key"}.
- Keys are unique per scope ("user:12", later "partner:3"): the same key from another scope is independent.
- First call: `run()` and the insert of the record happen in one transaction, and its `(status, body)` is
  stored. A DomainError from `run()` becomes the stored outcome (its HTTP status, body
  {"error": exc.as_dict()}); whatever `run()` wrote before raising is rolled back to a savepoint while the
  record is kept, so the replay repeats the same error and nothing is half-saved. Any other exception
  propagates and stores nothing, so the client may retry with the same key.
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
from typing import Any
from urllib.parse import parse_qsl

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from pvz.core import clock
from pvz.core.errors import DomainError, ErrorCode
from pvz.core.models import IdempotencyRecord

KEY_HEADER = "Idempotency-Key"
RETENTION = dt.timedelta(hours=48)

_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,100}")
# A web form carries a fresh CSRF token per rendered page; it proves the session, not what was asked for,
# so a scan resent from a reloaded page must still match its first attempt.
_NOT_PART_OF_THE_REQUEST = frozenset({"csrfmiddlewaretoken"})


@dataclass(frozen=True)
class IdempotentOutcome:
    status_code: int
    body: Any
    replayed: bool


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
    numbers, None); None stands for an empty response."""
    _key_validate(key)
    stored = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if stored is not None:
        return _replay(stored, fingerprint=fingerprint)

    try:
        with transaction.atomic():
            # Inserted before `run()`: on PostgreSQL a concurrent insert of the same key waits on the unique
            # index until this transaction ends, so only one caller ever runs. On SQLite the transaction is
            # BEGIN IMMEDIATE, so a second writer waits at BEGIN.
            record = IdempotencyRecord.objects.create(
                scope=scope,
                key=key,
                # By id: core sits below the accounts app and knows the user model only as AUTH_USER_MODEL.
                actor_id=actor.pk if actor is not None else None,
                fingerprint=fingerprint,
                status_code=0,  # replaced below, in the same transaction; nobody else ever sees the 0
                created_at=clock.now(),
            )
            try:
                with transaction.atomic():
                    status_code, body = run()
            except DomainError as exc:
                status_code, body = exc.http_status, {"error": exc.as_dict()}
            record.status_code, record.response_json = status_code, json.dumps(body, ensure_ascii=False)
            record.save(update_fields=["status_code", "response_json"])
    except IntegrityError:
        # Lost the race: the winner has committed by now, so its record is visible.
        winner = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if winner is None:
            raise  # an integrity failure inside `run()`, not a duplicate key
        return _replay(winner, fingerprint=fingerprint)
    # Read back from what was stored, so the first answer and a replay cannot differ in any detail.
    return IdempotentOutcome(status_code=status_code, body=json.loads(record.response_json), replayed=False)


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
    return IdempotentOutcome(
        status_code=record.status_code, body=json.loads(record.response_json), replayed=True
    )
