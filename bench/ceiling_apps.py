"""The two reference applications of `bench/ceiling.py`: the floors under the project's own stack.

- `raw`: a plain ASGI callable that answers `{"ok": 1}`: uvicorn and the client alone.
- `bare_django`: Django configured in this module (no project code, no middleware, no session, no auth)
  with one sync view that runs `SELECT 1` on PostgreSQL through the same psycopg pool settings the project
  uses: Django's ASGI handler, its thread per request and a pooled connection, nothing else.

The database comes from `DATABASE_URL` (a `postgres://` URL) as for the project.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"ok": 1}'})


def _bare_django() -> Any:
    import django
    from django.conf import settings

    url = urlsplit(os.environ["DATABASE_URL"])
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        SECRET_KEY=os.environ["PVZ_SECRET_KEY"],
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": url.path.lstrip("/"),
                "USER": url.username or "postgres",
                "HOST": url.hostname or "127.0.0.1",
                "PORT": url.port or 5432,
                "CONN_MAX_AGE": 0,
                "OPTIONS": {"pool": {"min_size": 2, "max_size": 10, "timeout": 10}},
            }
        },
    )
    django.setup()
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def _select_one(request: Any) -> Any:
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"ok": 1})


urlpatterns: list[Any] = []
bare_django: Any = None
if os.environ.get("PVZ_CEILING_APP") == "bare_django":
    bare_django = _bare_django()
    from django.urls import path

    urlpatterns = [path("db", _select_one)]
