"""The committed schema is what the code generates; the docs UI is reachable."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from pvz.api import openapi
from pvz.api.openapi import OPENAPI_PATH, openapi_document


def test_committed_openapi_schema_matches_the_code():
    committed = OPENAPI_PATH.read_text(encoding="utf-8")

    assert committed == openapi_document(), "run `python manage.py export_openapi` and commit the file"


def test_schema_names_operations_and_documents_errors():
    schema = json.loads(openapi_document())

    lookup = schema["paths"]["/api/v1/shipments/lookup"]["get"]
    assert lookup["operationId"] == "shipments_lookup"
    assert lookup["tags"] == ["shipments"]
    assert set(lookup["responses"]) == {"200", "401", "404", "422", "429"}  # 429: the rate limit (issue 14)
    assert schema["paths"]["/api/v1/me"]["get"]["operationId"] == "me_get"


def test_no_two_api_schemas_share_a_name():
    """The document keeps one component per class name: a second class of the same name in another module
    silently replaced the first (the acceptance progress was documented as the inventory's)."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import pvz.api

    seen: dict[str, str] = {}
    clashes = []
    # Every module, those of a package (pvz.api.counter.schemas) too.
    for info in pkgutil.walk_packages(pvz.api.__path__, prefix="pvz.api."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                other = seen.setdefault(value.__name__, module.__name__)
                if other != module.__name__:
                    clashes.append(f"{value.__name__}: {other} and {module.__name__}")

    assert clashes == []


def test_the_acceptance_progress_is_documented_as_itself():
    components = json.loads(openapi_document())["components"]["schemas"]

    assert "put_aside" in components["AcceptanceProgressOut"]["properties"]
    assert "cells_in_scope" in components["InventoryProgressOut"]["properties"]


def test_export_check_fails_with_a_clear_message_when_the_file_drifted(tmp_path, monkeypatch):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr("pvz.api.management.commands.export_openapi.OPENAPI_PATH", stale)

    with pytest.raises(CommandError, match="export_openapi"):
        call_command("export_openapi", "--check")


def test_export_writes_sorted_indented_json_with_trailing_newline(tmp_path, monkeypatch):
    target = tmp_path / "api" / "openapi.json"
    monkeypatch.setattr("pvz.api.management.commands.export_openapi.OPENAPI_PATH", target)

    call_command("export_openapi", stdout=io.StringIO())

    text = target.read_text(encoding="utf-8")
    assert text == openapi.openapi_document()
    assert text.endswith("}\n")
    assert text.startswith('{\n  "components"')


@pytest.mark.django_db
def test_docs_ui_is_served_at_api_docs(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
