"""Which webhook URLs a platform admin may register, and which addresses the worker may connect to (an
SSRF guard).

https only; plain http only to localhost (loopback) while DEBUG or when private hosts are allowed
(tests, the bench; other private hosts still need https). Refused, unless `PVZ_WEBHOOK_ALLOW_PRIVATE_URLS`
is on (or, for loopback, DEBUG): names like localhost / *.local / *.internal, and any host that is, or
resolves to, a private, loopback, link-local, reserved, multicast or unspecified address — one such
address among several is enough. A name is resolved with the system resolver (`resolve`), bounded by a
timeout; a name that does not resolve (yet, or in time) is saved, and fails at delivery until it does.

Applied by every write of an endpoint URL (`webhook_endpoint_create` / `webhook_endpoint_update`), so
no screen, admin form or API can bypass it; and again by the worker for every connection it opens
(`pvz.webhooks.transport`), which connects only to the addresses checked then — so a name re-pointed at
an internal address after it was saved (DNS rebinding) reaches nothing."""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from pvz.core.errors import DomainError, ErrorCode

LOCAL_NAMES = ("localhost",)
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
# How long a save waits for DNS; the worker waits at most its connect timeout.
RESOLVE_TIMEOUT_SECONDS = 3.0

# getaddrinfo has no timeout of its own: it runs here and the caller stops waiting after the timeout
# (a stuck lookup keeps its thread until the system resolver gives up; the pool bounds them).
_resolver_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook-dns")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The host is, or resolves to, an address the guard refuses, or it does not resolve (in time).
    `reason`: "private" (with `address`), "not_found" or "timeout". The text is for the delivery log."""

    def __init__(self, host: str, reason: str, address: str = "") -> None:
        self.host, self.reason, self.address = host, reason, address
        text = {
            "private": f"{host} resolves to {address}, not a public address",
            "not_found": f"{host} does not resolve",
            "timeout": f"{host}: DNS did not answer in time",
        }[reason]
        super().__init__(text)


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its order, without repeats (tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_private_name(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(PRIVATE_SUFFIXES) or ("." not in host and ":" not in host)


def _is_loopback_name(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = _literal(host)
    return address is not None and address.is_loopback


def _address_allowed(address: Address) -> bool:
    if address.is_global and not address.is_multicast:
        return True
    if settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS:
        return True
    return bool(settings.DEBUG) and address.is_loopback


def host_addresses_check(host: str, port: int, *, timeout: float = RESOLVE_TIMEOUT_SECONDS) -> list[str]:
    """The addresses of `host` (itself when it is an IP literal) if every one is allowed; otherwise
    `AddressRefused`. Waits at most `timeout` seconds for DNS."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = _resolver_pool.submit(resolve, host, port).result(timeout=timeout)
        except FutureTimeout:
            raise AddressRefused(host, "timeout") from None
        except (OSError, UnicodeError):  # socket.gaierror: no such name; a name IDNA cannot encode
            raise AddressRefused(host, "not_found") from None
        addresses = [a for a in (_literal(each) for each in found) if a is not None]
        if not addresses:
            raise AddressRefused(host, "not_found")
    for address in addresses:
        if not _address_allowed(address):
            raise AddressRefused(host, "private", str(address))
    return [str(address) for address in addresses]


def _invalid(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.VALIDATION_FAILED, details={"field": "url"})


def webhook_url_check(url: str) -> str:
    """The URL as given when it may be registered; otherwise VALIDATION_FAILED on field `url`."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _invalid(_("Неверный адрес.")) from exc
    if parts.scheme not in ("https", "http") or not host:
        raise _invalid(_("Нужен адрес вида https://…"))
    if parts.username or parts.password:
        raise _invalid(_("Адрес не должен содержать логин и пароль."))
    allow_private = bool(settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS)
    loopback = _is_loopback_name(host)
    debug_local = settings.DEBUG and loopback
    # Plain http never leaves the machine on loopback: allowed there with private hosts (tests, bench).
    if parts.scheme == "http" and not debug_local and not (loopback and allow_private):
        raise _invalid(_("Только https (http — лишь для localhost в режиме разработки)."))
    if debug_local or allow_private:
        return url
    literal = _literal(host)
    if _is_private_name(host) or (literal is not None and not _address_allowed(literal)):
        raise _invalid(_("Внутренние и локальные адреса запрещены."))
    try:
        host_addresses_check(host, port)
    except AddressRefused as exc:
        # A name without an answer (not yet in DNS, or DNS too slow) is saved: the worker checks again
        # before every connection and records "does not resolve" in the delivery log.
        if exc.reason == "private":
            message = _("Имя %(host)s указывает на внутренний адрес %(address)s: такие адреса запрещены.")
            raise _invalid(message % {"host": exc.host, "address": exc.address}) from exc
    return url
