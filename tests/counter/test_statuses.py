"""The lifecycles of issue sessions and issue lines (counter.statuses): every pair of both tables."""

from __future__ import annotations

from pvz.counter.models import LineState as L
from pvz.counter.models import SessionStatus as S
from pvz.counter.statuses import LINE, SESSION
from tests.lifecycles import all_pairs, assert_pair, assert_table


def test_session_table() -> None:
    assert_table(SESSION, {(S.OPEN, S.FINISHED), (S.OPEN, S.CANCELLED)})


@all_pairs(SESSION)
def test_every_session_pair(from_status: S, to_status: S) -> None:
    assert_pair(SESSION, from_status, to_status)


def test_line_table() -> None:
    looked_at = {L.TAKEN, L.INSPECTING, L.TRYING_ON}
    assert_table(
        LINE,
        {(a, b) for a in looked_at for b in L} | {(L.REFUSED, L.TAKEN), (L.REFUSED, L.REFUSED)},
    )


@all_pairs(LINE)
def test_every_line_pair(from_status: L, to_status: L) -> None:
    assert_pair(LINE, from_status, to_status)
