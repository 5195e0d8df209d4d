"""URLs of «Тревоги» (anomaly flags and suspensions), included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.anomalies import views as anomalies

urlpatterns: list[URLPattern] = [
    path("anomalies/", anomalies.anomalies_list, name="anomalies"),
    path("anomalies/flags/<int:flag_id>/resolve/", anomalies.anomaly_resolve, name="anomaly_resolve"),
    path(
        "anomalies/suspensions/<int:suspension_id>/lift/",
        anomalies.suspension_lift_view,
        name="suspension_lift",
    ),
]
