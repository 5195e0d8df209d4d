"""Web Push in a real browser: the staff pages register the service worker; «Включить в этом браузере» on the
notification settings stores the browser's subscription; a staff message then reaches a local push service
encrypted for that subscription, and the service worker shows it; «Отключить» forgets the subscription.

Headless Chromium reaches no vendor push service, so `PushManager.subscribe` / `getSubscription` are stubbed
in the page (keys made here, endpoint on a local HTTPS push service), and the message the push service got is
handed to the real service worker through the DevTools protocol, as the browser's push client would.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.conftest import OPERATOR_PHONE, TVERSKAYA, ServerApp
from tests.fakes.push_service import FakePushService, _handler
from tests.notifications.test_web_push import Browser, verify_vapid

pytestmark = pytest.mark.browser

SW_PATH = "/static/pvz/sw.js"
SW_SCOPE = "/static/pvz/"
SETTINGS_PATH = "/account/notifications/"
STATE_ON = "Этот браузер получает push-уведомления."
STATE_OFF = "Этот браузер не подписан."
TITLE = "Тревога"
TEXT = "ПВЗ на Тверской: проверка push-уведомления"
LINK = "/anomalies/"  # not sw.js's fallback, so the link visibly travels
POLL_S = 10.0
LOCALHOST = ipaddress.ip_address("127.0.0.1")

# The page's push client, stubbed: subscribe() remembers (in localStorage, so a reload still sees it) and
# answers with the test's subscription; the VAPID key push.js subscribed with is kept for the test to read.
PUSH_MANAGER_STUB = """
(() => {
  const fake = %s;
  const SUBSCRIBED = "pvz-test-push-subscribed";
  const KEY = "pvz-test-push-application-server-key";
  function subscription() {
    return {
      endpoint: fake.endpoint,
      expirationTime: null,
      toJSON() {
        const keys = { p256dh: fake.p256dh, auth: fake.auth };
        return { endpoint: fake.endpoint, expirationTime: null, keys: keys };
      },
      unsubscribe() {
        window.localStorage.removeItem(SUBSCRIBED);
        return Promise.resolve(true);
      },
    };
  }
  PushManager.prototype.subscribe = function (options) {
    const bytes = new Uint8Array(options.applicationServerKey);
    const key = window.btoa(String.fromCharCode.apply(null, bytes));
    window.localStorage.setItem(KEY, key.replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""));
    window.localStorage.setItem(SUBSCRIBED, "1");
    return Promise.resolve(subscription());
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(window.localStorage.getItem(SUBSCRIBED) ? subscription() : null);
  };
})();
"""

# The worker's registration once it is active. Not `navigator.serviceWorker.ready`: that waits for a worker
# controlling this page, and this one controls none (its scope is /static/pvz/, docs/architecture.md).
ACTIVE_REGISTRATION = """
async (url) => {
  for (let i = 0; i < 100; i++) {
    const registration = await navigator.serviceWorker.getRegistration(url);
    if (registration && registration.active && registration.active.state === "activated") {
      const { scope, updateViaCache } = registration;
      return { scope: scope, script: registration.active.scriptURL, updateViaCache: updateViaCache };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}
"""

SHOWN_NOTIFICATIONS = """
async (url) => {
  const registration = await navigator.serviceWorker.getRegistration(url);
  const shown = await registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
}
"""


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key: the push service speaks HTTPS, as every real one does."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "push-service.pem", directory / "push-service.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class HttpsPushService(FakePushService):
    cert_path: Path = Path()


@pytest.fixture
def push_service() -> Iterator[HttpsPushService]:
    """The fake push service of tests/fakes, over HTTPS; the server trusts it by SSL_CERT_FILE."""
    with tempfile.TemporaryDirectory(prefix="pvz-push-") as tmp:
        cert_path, key_path = _self_signed_certificate(Path(tmp))
        fake = HttpsPushService(cert_path=cert_path)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert_path, key_path)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        fake.url = f"https://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _registration(page: Any) -> dict[str, str] | None:
    return page.evaluate(ACTIVE_REGISTRATION, SW_PATH)


def _stored_subscriptions(server: ServerApp) -> list[dict[str, str]]:
    return server.run_python(
        f"""
        from pvz.notifications.models import PushSubscription
        rows = PushSubscription.objects.filter(user__phone={OPERATOR_PHONE!r}).order_by("pk")
        result([{{"endpoint": s.endpoint, "p256dh": s.p256dh, "auth": s.auth}} for s in rows])
        """
    )


def _notify_operator(server: ServerApp, *, trusting: Path) -> dict[str, str]:
    """In another process with the server's settings: a staff alert to the operator, and its push delivery
    sent the way the task worker sends it. `trusting`: the push service's certificate."""
    other = replace(server, env={**server.env, "SSL_CERT_FILE": str(trusting)})
    return other.run_python(
        f"""
        from pvz.accounts.models import User
        from pvz.network.models import PickupPoint
        from pvz.notifications.models import StaffChannel, StaffDelivery, StaffKind
        from pvz.notifications.staff_services import staff_delivery_send_now, staff_notify

        user = User.objects.get(phone={OPERATOR_PHONE!r})
        point = PickupPoint.objects.get(code={TVERSKAYA!r})
        [message] = staff_notify(
            kind=StaffKind.ANOMALY_ALERT,
            key={f"browser-push:{uuid.uuid4()}"!r},
            users=[user],
            point=point,
            render=lambda: ({TITLE!r}, {TEXT!r}),
            link={LINK!r},
        )
        delivery = StaffDelivery.objects.get(message=message, channel=StaffChannel.PUSH)
        delivery = staff_delivery_send_now(delivery_id=delivery.pk)
        result({{"status": delivery.status, "error": delivery.error}})
        """
    )


def test_a_staff_page_registers_the_service_worker_under_the_content_security_policy(
    operator_page: Any, server: ServerApp
) -> None:
    registration = _registration(operator_page)

    # Its scope is the script's own folder, so it needs no Service-Worker-Allowed widening.
    assert registration == {
        "scope": server.url(SW_SCOPE),
        "script": server.url(SW_PATH),
        "updateViaCache": "none",
    }
    script = operator_page.request.get(SW_PATH)
    assert script.ok
    assert script.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    # Static files may be cached a minute (max-age=60); with updateViaCache "none" the browser's update
    # check of the worker goes past that cache, so a deployed sw.js is picked up at the next visit.
    assert "service-worker-allowed" not in script.headers
    # The strict policy travels with the script too: it is the worker's own policy.
    assert "script-src 'self'" in script.headers["content-security-policy"]
    # (Any inline script or eval on the page or in registering the worker fails the test via csp_violations.)


def test_push_subscribed_in_settings_reaches_the_push_service_and_the_service_worker_shows_it(
    operator_page: Any, server: ServerApp, push_service: HttpsPushService
) -> None:
    from playwright.sync_api import expect

    page = operator_page
    context = page.context
    browser = Browser()
    endpoint = f"{push_service.url}/push/{uuid.uuid4().hex}"
    fake = {"endpoint": endpoint, "p256dh": browser.p256dh, "auth": _b64url(browser.auth)}
    context.grant_permissions(["notifications"], origin=server.base_url)
    context.add_init_script(script=PUSH_MANAGER_STUB % json.dumps(fake))

    # Given the operator on the notification settings, this browser not yet subscribed
    page.goto(SETTINGS_PATH)
    state = page.locator("[data-push-state]")
    expect(state).to_have_text(STATE_OFF)
    assert _stored_subscriptions(server) == []

    # When they switch push on in this browser
    page.get_by_role("button", name="Включить в этом браузере").click()

    # Then the server keeps this browser's subscription for them, made with the server's VAPID key
    expect(state).to_have_text(STATE_ON)
    expect(page.get_by_role("button", name="Отключить в этом браузере")).to_be_visible()
    assert _stored_subscriptions(server) == [fake]
    vapid_public_key = server.env["PVZ_VAPID_PUBLIC_KEY"]
    subscribed_with = page.evaluate("localStorage.getItem('pvz-test-push-application-server-key')")
    assert subscribed_with == vapid_public_key

    # When a staff alert goes out to them
    sent = _notify_operator(server, trusting=push_service.cert_path)

    # Then the push service got it, VAPID-signed and encrypted for this browser's keys
    assert sent == {"status": "sent", "error": ""}
    [pushed] = push_service.received
    assert pushed.path == urlsplit(endpoint).path
    assert pushed.headers["content-encoding"] == "aes128gcm"
    claims = verify_vapid(pushed.headers["authorization"], public_key=vapid_public_key)
    assert (claims["aud"], claims["sub"]) == (push_service.url, "mailto:browser-tests@example.org")
    data = browser.decrypt(pushed.body).decode()
    assert json.loads(data) == {"title": TITLE, "body": TEXT, "url": LINK, "tag": "anomaly_alert"}

    # When the browser's push client hands that message to the service worker
    registration = _registration(page)
    assert registration is not None
    cdp = context.new_cdp_session(page)
    registrations: dict[str, str] = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"] if not r["isDeleted"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + POLL_S
    while registration["scope"] not in registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert registration["scope"] in registrations, f"DevTools reported only {registrations}"
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.base_url, "registrationId": registrations[registration["scope"]], "data": data},
    )

    # Then it shows the notification, with the link to open on click
    expected = [{"title": TITLE, "body": TEXT, "tag": "anomaly_alert", "data": {"url": LINK}}]
    shown: list[dict[str, Any]] = []
    deadline = time.monotonic() + POLL_S
    while shown != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(SHOWN_NOTIFICATIONS, SW_PATH)
    assert shown == expected

    # When they switch push off again (after a reload: the page asks the browser, not its own memory)
    page.reload()
    expect(state).to_have_text(STATE_ON)
    page.get_by_role("button", name="Отключить в этом браузере").click()

    # Then the server forgets this browser
    expect(state).to_have_text(STATE_OFF)
    expect(page.get_by_role("button", name="Включить в этом браузере")).to_be_visible()
    assert _stored_subscriptions(server) == []
