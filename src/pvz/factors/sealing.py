"""The TOTP secrets at rest: encrypted with a key derived from SECRET_KEY, so a copy of the table alone
does not let anyone generate codes."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    key = hashlib.sha256(b"pvz.factors.totp:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def secret_open(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode("ascii")).decode()
