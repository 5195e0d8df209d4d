"""URLs of «Возвраты», customer returns (included by pvz.web.urls before the section placeholders)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.returns import views as returns

urlpatterns: list[URLPattern] = [
    path("returns/", returns.returns_home, name="returns_home"),
    path("returns/identify/", returns.returns_identify, name="returns_identify"),
    path("returns/open/", returns.returns_open, name="returns_open"),
    path("returns/visits/<int:visit_id>/", returns.returns_visit, name="returns_visit"),
    path("returns/visits/<int:visit_id>/sms/", returns.returns_sms_send, name="returns_sms_send"),
    path("returns/visits/<int:visit_id>/sms/verify/", returns.returns_sms_verify, name="returns_sms_verify"),
    path("returns/visits/<int:visit_id>/parcel/", returns.returns_parcel, name="returns_parcel"),
    path("returns/visits/<int:visit_id>/accept/", returns.returns_create, name="returns_create"),
    path("returns/<int:return_id>/", returns.return_page, name="return_page"),
    path("returns/<int:return_id>/label.pdf", returns.return_label, name="return_label"),
    path("returns/photos/<int:photo_id>/", returns.return_photo, name="return_photo"),
]
