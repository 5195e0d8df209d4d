"""DOMAIN rule 9, request side: a replay returns the first result and runs nothing; the same key with a
different request is refused; a domain failure is remembered whole and nothing of it is half-saved."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading

import pytest
from django.db import IntegrityError
from django.test import override_settings
from django.utils import translation
from django_tasks import TaskResultStatus

from pvz.core.errors import Conflict, DomainError
from pvz.core.idempotency import idempotency_fingerprint, idempotency_records_purge, idempotent_call
from pvz.core.models import IdempotencyRecord
from pvz.core.scheduler import PERIODIC_TASKS
from pvz.core.tasks import purge_idempotency_records
from pvz.network.models import Partner
from tests.factories import UserFactory
from tests.races import race, skip_on_in_memory_sqlite

KEY = "4f1c2a9e-7b3d-4c55-9a10-2f7e8d6c1b00"
FINGERPRINT = "a" * 64
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
_partner_codes = itertools.count()


class Counter:
    """A `run` that counts its calls and writes one Partner row each time, like a real service would."""

    def __init__(self, result: tuple[int, object] = (201, {"id": 1})) -> None:
        self.calls = 0
        self.result = result

    def __call__(self) -> tuple[int, object]:
        self.calls += 1
        Partner.objects.create(code=f"partner-{next(_partner_codes)}", name="Маркетплейс")
        return self.result


def call(run, *, scope="user:1", key=KEY, fingerprint=FINGERPRINT):
    return idempotent_call(scope=scope, key=key, fingerprint=fingerprint, run=run)


@pytest.mark.django_db
class TestIdempotentCall:
    def test_first_call_runs_and_stores_the_result(self, clock) -> None:
        run = Counter(result=(201, {"id": 7, "status": "STORED"}))

        outcome = call(run)

        assert (outcome.status_code, outcome.body, outcome.replayed) == (
            201,
            {"id": 7, "status": "STORED"},
            False,
        )
        assert run.calls == 1
        record = IdempotencyRecord.objects.get()
        assert (record.scope, record.key, record.fingerprint) == ("user:1", KEY, FINGERPRINT)
        assert (record.status_code, json.loads(record.response_json)) == (201, {"id": 7, "status": "STORED"})
        assert record.created_at == clock.now()

    def test_first_call_records_the_actor(self) -> None:
        user = UserFactory()

        idempotent_call(scope=f"user:{user.pk}", key=KEY, fingerprint=FINGERPRINT, run=Counter(), actor=user)

        assert IdempotencyRecord.objects.get().actor == user

    def test_replay_returns_the_stored_result_and_runs_nothing(self) -> None:
        first = call(Counter(result=(201, {"id": 7})))
        again = Counter(result=(200, {"id": 999}))

        replay = call(again)

        assert (replay.status_code, replay.body, replay.replayed) == (201, {"id": 7}, True)
        assert first.body == replay.body
        assert again.calls == 0
        assert Partner.objects.count() == 1
        assert IdempotencyRecord.objects.count() == 1

    def test_replay_keeps_the_key_order_of_the_first_answer(self) -> None:
        # PostgreSQL's jsonb would sort these keys; clients comparing bytes must see the first answer.
        first = call(Counter(result=(200, {"zone": "A", "message": "ок", "code": "X"})))

        replay = call(Counter())

        assert list(replay.body) == list(first.body) == ["zone", "message", "code"]

    def test_same_key_with_another_fingerprint_is_refused_and_runs_nothing(self) -> None:
        call(Counter())
        again = Counter()

        with pytest.raises(DomainError) as refused:
            call(again, fingerprint="b" * 64)

        assert refused.value.code == "IDEMPOTENCY_MISMATCH"
        assert refused.value.http_status == 422
        assert again.calls == 0
        assert IdempotencyRecord.objects.get().fingerprint == FINGERPRINT

    def test_same_key_from_another_scope_is_independent(self) -> None:
        call(Counter(result=(201, {"by": "first"})), scope="user:1")
        other = Counter(result=(201, {"by": "second"}))

        outcome = call(other, scope="partner:1", fingerprint="b" * 64)

        assert (outcome.body, outcome.replayed) == ({"by": "second"}, False)
        assert other.calls == 1
        assert IdempotencyRecord.objects.count() == 2

    def test_domain_error_is_stored_with_nothing_of_the_run_saved(self) -> None:
        def run() -> tuple[int, object]:
            Partner.objects.create(code="half-saved", name="Не должен остаться")
            raise Conflict(details={"version": 3})

        # The stored message is in the language active at the first call; another test may have left "en".
        with translation.override("ru"):
            outcome = call(run)

        expected_body = {
            "error": {
                "code": "CONFLICT",
                "message": "Кто-то изменил эти данные одновременно с вами. Обновите и повторите.",
                "details": {"version": 3},
            }
        }
        assert (outcome.status_code, outcome.body, outcome.replayed) == (409, expected_body, False)
        assert not Partner.objects.filter(code="half-saved").exists()
        record = IdempotencyRecord.objects.get()
        assert (record.status_code, json.loads(record.response_json)) == (409, expected_body)

    def test_domain_error_replays_identically_without_running_again(self) -> None:
        attempts = []

        def run() -> tuple[int, object]:
            attempts.append(1)
            raise Conflict()

        first = call(run)
        replay = call(run)

        assert (replay.status_code, replay.body, replay.replayed) == (first.status_code, first.body, True)
        assert len(attempts) == 1

    def test_unexpected_exception_propagates_and_stores_nothing(self) -> None:
        def run() -> tuple[int, object]:
            Partner.objects.create(code="half-saved", name="Не должен остаться")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            call(run)

        assert not IdempotencyRecord.objects.exists()
        assert not Partner.objects.filter(code="half-saved").exists()
        # Nothing was remembered, so a retry with the same key runs for real.
        assert call(Counter()).replayed is False

    def test_integrity_error_inside_run_is_not_mistaken_for_a_concurrent_caller(self) -> None:
        Partner.objects.create(code="taken", name="Маркетплейс")

        def run() -> tuple[int, object]:
            Partner.objects.create(code="taken", name="Дубликат")
            return 201, {}

        with pytest.raises(IntegrityError):
            call(run)

        assert not IdempotencyRecord.objects.exists()

    @pytest.mark.parametrize(
        "key",
        ["x", "A" * 100, KEY, "~!scan:0001", "\x21\x7e"],
        ids=["one-char", "100-chars", "uuid", "punctuation", "ascii-range-ends"],
    )
    def test_accepts_keys_of_1_to_100_visible_ascii_characters(self, key: str) -> None:
        assert call(Counter(), key=key).replayed is False

    @pytest.mark.parametrize(
        "key",
        ["", "A" * 101, "has space", "tab\tkey", "ключ", "key\x7f"],
        ids=["empty", "101-chars", "space", "tab", "cyrillic", "del-control"],
    )
    def test_refuses_other_keys_naming_the_header(self, key: str) -> None:
        run = Counter()

        with pytest.raises(DomainError) as refused:
            call(run, key=key)

        assert refused.value.code == "VALIDATION_FAILED"
        assert refused.value.details == {"header": "Idempotency-Key"}
        assert run.calls == 0
        assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
class TestPurge:
    def test_keeps_a_record_exactly_48_hours_old_and_purges_one_a_microsecond_older(self, clock) -> None:
        call(Counter(), key="older")
        clock.advance(microseconds=1)
        call(Counter(), key="boundary")
        clock.advance(hours=48)

        purged = idempotency_records_purge()

        assert purged == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["boundary"]

    def test_a_purged_key_can_be_used_afresh(self, clock) -> None:
        call(Counter(result=(201, {"n": 1})))
        clock.advance(hours=48, microseconds=1)
        idempotency_records_purge()
        second = Counter(result=(201, {"n": 2}))

        outcome = call(second, fingerprint="b" * 64)

        assert (outcome.body, outcome.replayed, second.calls) == ({"n": 2}, False, 1)

    def test_honours_a_shorter_retention(self, clock) -> None:
        call(Counter())
        clock.advance(hours=1, microseconds=1)

        assert idempotency_records_purge(older_than=dt.timedelta(hours=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_hourly_purge_task_deletes_only_expired_records(clock) -> None:
    call(Counter(), key="expired")
    clock.advance(hours=1)
    call(Counter(), key="fresh")
    clock.advance(hours=47, microseconds=1)

    with override_settings(TASKS=IMMEDIATE):
        result = purge_idempotency_records.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert "pvz.core.tasks.purge_idempotency_records" in {job.task_path for job in PERIODIC_TASKS}


class TestFingerprint:
    def test_json_key_order_and_spacing_do_not_matter(self) -> None:
        compact = idempotency_fingerprint(
            method="POST", path="/api/v1/x", body=b'{"a":1,"b":[1,2]}', content_type="application/json"
        )
        spaced = idempotency_fingerprint(
            method="post",
            path="/api/v1/x",
            body=b'{ "b": [1, 2],\n "a": 1 }',
            content_type="application/json; charset=utf-8",
        )

        assert compact == spaced
        assert len(compact) == 64

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("PUT", "/api/v1/x", b'{"a":1,"b":[1,2]}'),
            ("POST", "/api/v1/y", b'{"a":1,"b":[1,2]}'),
            ("POST", "/api/v1/x?point=2", b'{"a":1,"b":[1,2]}'),
            ("POST", "/api/v1/x", b'{"a":1,"b":[2,1]}'),
            ("POST", "/api/v1/x", b'{"a":"1","b":[1,2]}'),
        ],
        ids=["method", "path", "query", "list-order", "value-type"],
    )
    def test_any_change_of_meaning_changes_it(self, method: str, path: str, body: bytes) -> None:
        base = idempotency_fingerprint(
            method="POST", path="/api/v1/x", body=b'{"a":1,"b":[1,2]}', content_type="application/json"
        )

        assert (
            idempotency_fingerprint(method=method, path=path, body=body, content_type="application/json")
            != base
        )

    def test_form_ignores_the_csrf_token_and_field_order_but_not_repeated_field_order(self) -> None:
        form = "application/x-www-form-urlencoded"

        def fingerprint(body: bytes) -> str:
            return idempotency_fingerprint(method="POST", path="/scan", body=body, content_type=form)

        first = fingerprint(b"csrfmiddlewaretoken=aaa&code=ii1&key=k1&code=ii2")
        assert fingerprint(b"key=k1&code=ii1&code=ii2&csrfmiddlewaretoken=bbb") == first
        assert fingerprint(b"key=k1&code=ii2&code=ii1&csrfmiddlewaretoken=aaa") != first


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_calls_run_once_and_the_other_replays() -> None:
    skip_on_in_memory_sqlite()

    def slow_run() -> tuple[int, object]:
        # Holds the first transaction open, so the second caller, released at the same moment, has
        # already looked for the key and found nothing: it must wait on the insert, not just replay.
        threading.Event().wait(0.3)
        Partner.objects.create(code=f"partner-{next(_partner_codes)}", name="Маркетплейс")
        return 201, {"winner": threading.get_ident()}

    outcomes = race(lambda: call(slow_run), lambda: call(slow_run))

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sorted(outcome.replayed for outcome in outcomes) == [False, True]
    assert outcomes[0].body == outcomes[1].body
    assert Partner.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
