"""Second-factor tests: a person with an authenticator app, codes computed as the app would."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pyotp
import pytest
from django.core import mail
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from pvz.accounts.models import User
from pvz.core.clock import FrozenClock
from pvz.factors import services
from tests.factories import UserFactory


@pytest.fixture
def user(db: None) -> User:
    return UserFactory(phone="+79161112233")


class App:
    """The authenticator app on the person's phone."""

    def __init__(self, secret: str, clock: FrozenClock) -> None:
        self.totp = pyotp.TOTP(secret)
        self.clock = clock

    def code(self, steps: int = 0) -> str:
        """The code the app shows now, or `steps` 30-second steps later (negative: earlier)."""
        return self.totp.at(self.clock.now() + dt.timedelta(seconds=30 * steps))


@pytest.fixture
def enrol(clock: FrozenClock) -> Callable[[User], tuple[App, list[str]]]:
    """Enrol an app for the user; returns the app and the backup codes. The enrolment uses the step
    before the current one, so the current step is still free for the test."""

    def _enrol(person: User) -> tuple[App, list[str]]:
        app = App(services.totp_enrol_start(user=person).secret, clock)
        codes = services.totp_enrol_confirm(user=person, code=app.code(-1))
        return app, codes

    return _enrol


@pytest.fixture
def mailed_code(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Callable[..., str]:
    """Run `action` (which mails a code after commit) and return the code from the newest e-mail."""

    def _run(action: Callable[[], object]) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)

    return _run
