"""URLs of the counter: the customer's public QR page and the staff «Выдача» screens (included by
pvz.web.urls before the section placeholders, so "issue/" opens the working start page)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.counter import customer_qr
from pvz.web.counter import finish as counter_finish
from pvz.web.counter import lines as counter_lines
from pvz.web.counter import screen as counter_screen
from pvz.web.counter import views as counter

urlpatterns: list[URLPattern] = [
    path("c/<str:link>/", customer_qr.customer_qr, name="customer_qr"),
    path("issue/", counter.issue_home, name="issue_home"),
    path("issue/sessions/", counter.issue_sessions, name="issue_sessions"),
    path("issue/identify/", counter.issue_identify, name="issue_identify"),
    path("issue/open/", counter.issue_open, name="issue_open"),
    path("issue/commands/", counter.issue_commands, name="issue_commands"),
    path("issue/<int:session_id>/", counter_screen.issue_session, name="issue_session"),
    path("issue/<int:session_id>/scan/", counter_finish.issue_scan, name="issue_scan"),
    path("issue/<int:session_id>/finish/", counter_finish.issue_finish, name="issue_finish"),
    path("issue/<int:session_id>/cancel/", counter_finish.issue_cancel, name="issue_cancel"),
    path("issue/<int:session_id>/sms/", counter.issue_sms_send, name="issue_sms_send"),
    path("issue/<int:session_id>/sms/verify/", counter.issue_sms_verify, name="issue_sms_verify"),
    path("issue/<int:session_id>/bags/", counter_lines.issue_bags, name="issue_bags"),
    path(
        "issue/<int:session_id>/lines/<int:line_id>/<slug:action>/",
        counter_lines.issue_line,
        name="issue_line",
    ),
    path("issue/<int:session_id>/result/", counter_finish.issue_result, name="issue_result"),
]
