from __future__ import annotations

import pytest
from django.test import Client

from pvz.accounts.models import User

# The phone-code backend has no password step; tests sign in through the model backend.
MODEL_BACKEND = "pvz.accounts.backends.PhoneCodeBackend"


@pytest.fixture
def signed_in(client: Client):
    def sign_in(user: User) -> Client:
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return sign_in
