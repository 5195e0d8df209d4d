from django.urls import include, path

from pvz.web.sections import SECTIONS
from pvz.web.views import auth, dashboard, outbox, points, scan, sections, shipments

app_name = "web"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login_phone, name="login"),
    path("login/code/", auth.login_code, name="login_code"),
    path("logout/", auth.logout_view, name="logout"),
    path("points/", points.pick_point, name="pick_point"),
    path("scan/", scan.scan, name="scan"),
    path("shipments/<int:shipment_id>/", shipments.shipment_card, name="shipment"),
    path("dev/sms-outbox/", outbox.sms_outbox, name="sms_outbox"),
    path("", include("pvz.web.urls_cells")),
    path("", include("pvz.web.urls_inbound")),
    path("", include("pvz.web.urls_placement")),
    path("", include("pvz.web.urls_search")),
    path("", include("pvz.web.urls_inventory")),
    path("", include("pvz.web.urls_counter")),
    path("", include("pvz.web.urls_outbound")),
    path("", include("pvz.web.urls_returns")),
    path("", include("pvz.web.urls_returnflow")),
    path("", include("pvz.web.urls_audit")),
    path("", include("pvz.web.urls_anomalies")),
    path("", include("pvz.web.urls_staff")),
    path("", include("pvz.web.urls_onboarding")),
    path("", include("pvz.web.urls_account")),
    path("", include("pvz.web.urls_factors")),
    path("", include("pvz.web.urls_partners")),
    path("", include("pvz.web.urls_notifications")),
    *(
        path(f"{section.slug}/", sections.section_page(section), name=section.slug)
        for section in SECTIONS
        if section.page is None
    ),
]
