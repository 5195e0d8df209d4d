"""E-mail leaves through Django's real SMTP backend: a local SMTP server receives what was sent, and
PVZ_EMAIL_URL-style settings are all the configuration it needs."""

from __future__ import annotations

from django.core.mail import get_connection, send_mail
from django.test import override_settings

from tests.fakes.smtp import fake_smtp


def test_a_message_sent_through_the_smtp_backend_reaches_the_server() -> None:
    with (
        fake_smtp() as server,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=server.host,
            EMAIL_PORT=server.port,
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=5,
        ),
    ):
        sent = send_mail(
            "Код подтверждения", "Ваш код: 123456", "OpenPVZ <noreply@openpvz.local>", ["owner@example.org"]
        )

    assert sent == 1
    [message] = server.messages
    assert (message["To"], message["Subject"]) == ("owner@example.org", "Код подтверждения")
    assert message.get_content().strip() == "Ваш код: 123456"


def test_an_unreachable_smtp_server_raises_so_the_caller_can_record_the_failure() -> None:
    with fake_smtp() as server:
        port = server.port  # stopped when the block ends: nothing listens there any more
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port, timeout=2
    )
    try:
        connection.open()
    except OSError:
        refused = True
    else:
        refused = False
        connection.close()
    assert refused
