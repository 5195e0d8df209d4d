"""URLs of the return-flow board («Возвратный поток»), included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.returnflow import views as returnflow

urlpatterns: list[URLPattern] = [
    path("returnflow/", returnflow.returnflow_board, name="returnflow"),
]
