"""URLs of the staff screen («Сотрудники»), included by pvz.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from pvz.web.staff import views as staff

urlpatterns: list[URLPattern] = [
    path("staff/", staff.staff_list, name="staff"),
    path("staff/invite/", staff.staff_invite_view, name="staff_invite"),
    path("staff/<int:membership_id>/perms/<str:perm>/", staff.staff_perm, name="staff_perm"),
    path("staff/<int:membership_id>/withdraw/", staff.staff_withdraw_view, name="staff_withdraw"),
    path("staff/<int:membership_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:membership_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
]
