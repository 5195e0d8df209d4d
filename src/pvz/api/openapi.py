"""The OpenAPI document as committed text: one canonical serialisation, so a diff means a real change."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from pvz.api.api import api

OPENAPI_PATH: Path = settings.BASE_DIR / "docs" / "api" / "openapi.json"


def openapi_document() -> str:
    """The schema the code generates, as sorted, 2-space-indented JSON with a trailing newline."""
    # The schema must not depend on who runs the export; Russian is the source language.
    with translation.override("ru"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
        text = json.dumps(schema, cls=DjangoJSONEncoder, sort_keys=True, indent=2, ensure_ascii=False)
    return text + "\n"
