"""The worker's HTTP transport: every connection goes only to an address the SSRF guard has just checked.

The host of the URL is resolved when the connection is opened, every address is checked
(`host_addresses_check`), and the socket is opened to a checked address itself, never by name again; the
request keeps the URL's host in `Host` and in TLS (SNI and certificate check), as httpcore takes those from
the URL, not from the socket. A refused host raises `AddressRefused` out of `client.post`."""

from __future__ import annotations

from collections.abc import Iterable

import httpcore
import httpx

from pvz.webhooks.urlguard import RESOLVE_TIMEOUT_SECONDS, host_addresses_check


class _CheckedAddressBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        wait = min(timeout, RESOLVE_TIMEOUT_SECONDS) if timeout else RESOLVE_TIMEOUT_SECONDS
        addresses = host_addresses_check(host, port, timeout=wait)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # as socket.create_connection would: the first one that answers
            try:
                return super().connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # host_addresses_check returns at least one address
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (HTTP/1.1, TLS verified with certifi, keep-alive), but its connection pool
    opens sockets through `_CheckedAddressBackend`; no proxy."""

    def __init__(self) -> None:
        # Not super().__init__(): it would build a pool (and an SSL context) only to be replaced here.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,  # httpx's defaults
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_CheckedAddressBackend(),
        )
