"""`/metrics` for Prometheus: the request metrics of `pvz.core.metrics` (of every process in multiprocess
mode) and the backlogs read from the database at scrape time: jobs waiting for the worker and the age of
the oldest, webhook deliveries and customer and staff notifications pending or failed.

Not public: the scraper's address must be in PVZ_METRICS_ALLOWED_IPS (default: this host) or it sends
`Authorization: Bearer <PVZ_METRICS_TOKEN>`; anyone else gets 403 (docs/deploy.md § Metrics).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Min, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from pvz.core import metrics as request_metrics
from pvz.core.readiness import jobs_backlog
from pvz.notifications.models import DeliveryStatus as StaffDeliveryStatus
from pvz.notifications.models import Notification, NotificationStatus, StaffDelivery
from pvz.webhooks.models import DeliveryStatus as WebhookStatus
from pvz.webhooks.models import WebhookDelivery

# What the view declares for the permission matrix (tests/security): not a person's access but the
# scraper's (an allowed address or the token); a signed-in session opens nothing here.
ACCESS_METRICS = "metrics"

_NetworkList = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


@lru_cache(maxsize=4)
def _networks(allowed: tuple[str, ...]) -> _NetworkList:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed if entry.strip())


def metrics_allowed(request: HttpRequest) -> bool:
    """The client's address is allowed, or it presents the token (compared in constant time)."""
    token: str = settings.PVZ_METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.PVZ_METRICS_ALLOWED_IPS)))


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponseForbidden(_("Метрики доступны только серверу мониторинга."))
    request_metrics.pool_sample()  # this process's pool as of now
    if request_metrics.MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(BacklogCollector())
    body = generate_latest(registry) + generate_latest(scraped)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


metrics.access = ACCESS_METRICS  # type: ignore[attr-defined]


def _oldest_age(rows: QuerySet[Any], field: str) -> float:
    """Seconds since the earliest `field` of `rows` (0 when there are none)."""
    oldest = rows.aggregate(oldest=Min(field))["oldest"]
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


class BacklogCollector(Collector):
    """Counted at scrape time (one query per figure, each on an index of the status), so the figures are
    the database's, whichever process is scraped. A database that does not answer is
    `pvz_backlog_up 0`, not a failed scrape: the request metrics still come through."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pvz_backlog_up", "1 when the backlog figures below could be read.")
        try:
            families = list(self._backlog())
        except Exception:  # the database is unreachable: say so, keep the rest of the scrape
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _backlog(self) -> Iterable[Metric]:
        jobs = jobs_backlog()
        yield _gauge("pvz_jobs_ready", "Jobs ready to run and not yet taken by a worker.", jobs.ready)
        yield _gauge(
            "pvz_jobs_oldest_ready_age_seconds",
            "How long the oldest ready job has waited (0 when none): a worker down shows here first.",
            jobs.oldest_seconds,
        )

        pending_hooks = WebhookDelivery.objects.filter(status=WebhookStatus.PENDING)
        hooks = GaugeMetricFamily(
            "pvz_webhook_deliveries",
            "Webhook deliveries pending (state=pending; of them retrying after a failed attempt: "
            "state=retrying) and given up (state=dead, waiting for a manual replay).",
            labels=["state"],
        )
        hooks.add_metric(["pending"], pending_hooks.count())
        hooks.add_metric(["retrying"], pending_hooks.filter(attempts__gt=0).count())
        hooks.add_metric(["dead"], WebhookDelivery.objects.filter(status=WebhookStatus.DEAD).count())
        yield hooks
        yield _gauge(
            "pvz_webhook_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery (0 when none).",
            _oldest_age(pending_hooks, "created_at"),
        )

        pending_messages = Notification.objects.filter(status=NotificationStatus.PENDING)
        messages = GaugeMetricFamily(
            "pvz_notifications",
            "Customer notifications (SMS, e-mail) pending and failed (given up after their attempts).",
            labels=["state"],
        )
        messages.add_metric(["pending"], pending_messages.count())
        messages.add_metric(["failed"], Notification.objects.filter(status=NotificationStatus.FAILED).count())
        yield messages
        yield _gauge(
            "pvz_notifications_oldest_pending_age_seconds",
            "Age of the oldest pending customer notification (0 when none).",
            _oldest_age(pending_messages, "created_at"),
        )

        due_staff = StaffDelivery.objects.filter(
            status=StaffDeliveryStatus.PENDING, due_at__lte=timezone.now()
        )
        staff = GaugeMetricFamily(
            "pvz_staff_deliveries",
            "Staff messages on an outside channel (e-mail, push): due and not sent yet, and failed.",
            labels=["state"],
        )
        staff.add_metric(["due"], due_staff.count())
        staff.add_metric(["failed"], StaffDelivery.objects.filter(status=StaffDeliveryStatus.FAILED).count())
        yield staff
        yield _gauge(
            "pvz_staff_deliveries_oldest_due_age_seconds",
            "How long the oldest due staff delivery is overdue (0 when none); quiet hours are not counted.",
            _oldest_age(due_staff, "due_at"),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
