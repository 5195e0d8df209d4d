"""Which webhook URLs a platform admin may register (an SSRF guard).

https only; plain http only to localhost (loopback) while DEBUG or when private hosts are allowed
(tests, the bench; other private hosts still need https). Hosts that are private, loopback,
link-local, reserved, multicast or unspecified IP literals, and names like localhost / *.local /
*.internal, are refused unless `PVZ_WEBHOOK_ALLOW_PRIVATE_URLS` is on (or, for localhost, DEBUG). Host
names are not resolved here: a public name pointing at a private address is the sending worker's
concern.

Applied by every write of an endpoint URL (`webhook_endpoint_create` / `webhook_endpoint_update`), so
no screen, admin form or API can bypass it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from pvz.core.errors import DomainError, ErrorCode

LOCAL_NAMES = ("localhost",)
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _invalid(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.VALIDATION_FAILED, details={"field": "url"})


def _is_private_host(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(PRIVATE_SUFFIXES) or ("." not in host and ":" not in host):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _is_loopback(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_check(url: str) -> str:
    """The URL as given when it may be registered; otherwise VALIDATION_FAILED on field `url`."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 — raises ValueError for a bad port
    except ValueError as exc:
        raise _invalid(_("Неверный адрес.")) from exc
    if parts.scheme not in ("https", "http") or not host:
        raise _invalid(_("Нужен адрес вида https://…"))
    if parts.username or parts.password:
        raise _invalid(_("Адрес не должен содержать логин и пароль."))
    allow_private = bool(settings.PVZ_WEBHOOK_ALLOW_PRIVATE_URLS)
    loopback = _is_loopback(host)
    debug_local = settings.DEBUG and loopback
    # Plain http never leaves the machine on loopback: allowed there with private hosts (tests, bench).
    if parts.scheme == "http" and not debug_local and not (loopback and allow_private):
        raise _invalid(_("Только https (http — лишь для localhost в режиме разработки)."))
    if _is_private_host(host) and not debug_local and not allow_private:
        raise _invalid(_("Внутренние и локальные адреса запрещены."))
    return url
