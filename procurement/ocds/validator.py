"""Offline validation against the OCDS 1.1.5 schemas: every schema file is registered under its `id`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent
SCHEMA_FILES = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {name: json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES}


def _no_fetch(uri: str) -> Resource[Any]:
    # Anything not registered is an error: validation must never reach the network.
    raise LookupError(f"Schema not available offline: {uri}")


@cache
def registry() -> Registry[Any]:
    """Every schema file under its `id` URL; unknown URIs fail instead of being fetched."""
    resources = [
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)) for schema in _schemas().values()
    ]
    return Registry(retrieve=_no_fetch).with_resources(resources)  # type: ignore[call-arg]


@cache
def validator_for(name: str) -> Draft4Validator:
    return Draft4Validator(_schemas()[name], registry=registry())


def errors(document: dict[str, Any], schema: str) -> list[str]:
    """Every schema error of `document` against `schema` (a file name above), as `path: message`."""
    found: list[ValidationError] = sorted(validator_for(schema).iter_errors(document), key=lambda e: list(e.path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in found]


def validate_release_package(document: dict[str, Any]) -> list[str]:
    return errors(document, "release-package-schema.json")


def validate_record_package(document: dict[str, Any]) -> list[str]:
    return errors(document, "record-package-schema.json")


def validate_release(document: dict[str, Any]) -> list[str]:
    return errors(document, "release-schema.json")
