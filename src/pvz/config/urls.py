from django.contrib import admin
from django.urls import include, path

from pvz.api.api import api
from pvz.api.docs import api_docs
from pvz.config.metrics import metrics
from pvz.web.health import healthz, readyz
from pvz.web.signin.views import admin_login

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/docs", api_docs, name="api-docs"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("pvz.web.urls")),
]

handler500 = "pvz.config.errors.server_error"
