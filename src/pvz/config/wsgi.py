"""The WSGI application: production serves HTTP with granian's WSGI interface (docs/deploy.md,
docs/adr/0006-scan-hot-path.md), websockets with the ASGI application under uvicorn.

Behind a proxy the client's address comes from `X-Forwarded-For` (the rate limits and the audit log read
`REMOTE_ADDR`), trusted only from the proxies named in `PVZ_TRUSTED_PROXIES` (comma-separated addresses or
networks; default 127.0.0.1, as uvicorn's `--proxy-headers` trusts by default).
"""

import os

from django.core.wsgi import get_wsgi_application
from granian.utils.proxies import wrap_wsgi_with_proxy_headers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvz.config.settings")
application = wrap_wsgi_with_proxy_headers(
    get_wsgi_application(), trusted_hosts=os.environ.get("PVZ_TRUSTED_PROXIES", "127.0.0.1")
)
