"""Sign-ins of one user at the same moment: exactly one session survives."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.test import Client

from pvz.usersessions.models import UserSession
from tests.factories import UserFactory
from tests.races import race, skip_on_in_memory_sqlite

BACKEND = "pvz.accounts.backends.PhoneCodeBackend"
LOGINS = 4


@pytest.mark.django_db(transaction=True)
def test_simultaneous_logins_of_one_user_leave_exactly_one_live_session() -> None:
    skip_on_in_memory_sqlite()
    user = UserFactory()
    clients = [Client() for _ in range(LOGINS)]

    outcomes = race(*(lambda client=client: client.force_login(user, backend=BACKEND) for client in clients))

    # A login whose session a later one ended before the response saved it fails the way Django fails
    # any request whose session was deleted meanwhile (UpdateError; a 400 in a real request).
    assert all(outcome is None or isinstance(outcome, UpdateError) for outcome in outcomes), outcomes
    keys = [client.cookies["sessionid"].value for client in clients if "sessionid" in client.cookies]
    assert Session.objects.filter(session_key__in=keys).count() == 1
    assert UserSession.objects.filter(user=user, ended_at=None).count() == 1
    assert Session.objects.count() == 1
