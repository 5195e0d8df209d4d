"""Texting a staff account's one-time code (login, password): the same answer and the same limits whether
or not the phone has an account, and an SMS only when it has one."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from pvz.accounts.models import CodePurpose, OneTimeCode, User
from pvz.accounts.one_time_codes import otp_issue
from pvz.accounts.sms import sms_send
from pvz.audit.services import audit_record
from pvz.core.effects import after_commit
from pvz.guard.services import sms_send_check


def sms_code_issue(
    *, phone: str, purpose: CodePurpose, ip: str | None, message: Promise
) -> tuple[OneTimeCode, User | None]:
    """Issue a code of `purpose` for the normalised `phone` and text `message` (with `%(code)s`) to its
    active user after commit, in the user's language; returns the code and that user, if any."""
    with transaction.atomic():
        # Locking the user serialises concurrent requests for a real account, so two cannot both slip
        # under the limit; for unknown phones nothing is sent, so a race there costs nothing.
        user = User.objects.select_for_update().filter(phone=phone, is_active=True).first()
        otp, code = otp_issue(phone=phone, purpose=purpose, ip=ip)
        # Counted for unknown phones too, so the daily limits reveal nothing either.
        sms_send_check(phone=phone, ip=ip)
        if user is not None:
            # The SMS speaks the language the user chose, else the language of the request.
            with translation.override(user.language or translation.get_language()):
                text = message % {"code": code}
            after_commit(sms_send, phone=phone, text=text)
        audit_record(action="auth.code_sent", actor=user, actor_phone=phone, details={"purpose": purpose})
    return otp, user
