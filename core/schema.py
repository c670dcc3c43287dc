"""OpenAPI schema generation tweaks shared by every app."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse


class AutoSchema(SpectacularAutoSchema):
    """Name nested `InputSerializer`/`OutputSerializer` classes after their view (`BookingCreateApi.InputSerializer`
    becomes `BookingCreateInput`), so that components of different endpoints never collide."""

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, _, inner = qualname.rpartition(".")
            outer = outer.split(".")[-1].removesuffix("Api").removesuffix("ViewSet").removesuffix("View")
            name = outer + inner.removesuffix("Serializer")
        return name

    def get_request_serializer(self) -> Any:
        """A `ServiceViewSet`'s create and update take its `input_serializer` (`update_serializer` for changes)."""
        view, action = self.view, getattr(self.view, "action", None)
        if action in {"create", "update", "partial_update"} and hasattr(view, "input_serializer"):
            chosen = getattr(view, "update_serializer", None) if action != "create" else None
            return (chosen or view.input_serializer)()
        return super().get_request_serializer()


# --- Error responses -------------------------------------------------------------------------------------------
# Every operation documents the errors it can answer (API.md "Errors"): DRF-shaped validation 400s, and
# `{"detail", "code", ...}` bodies whose `code` is one of the codes below for that status. Domain codes come from
# `core.errors.ERROR_STATUS`; the others are DRF's own (authentication, permission, lookup, parsing, throttling)
# and the project's middleware/handler codes.
_FRAMEWORK_CODES: dict[int, tuple[str, ...]] = {
    400: ("parse_error",),
    401: ("not_authenticated", "authentication_failed"),
    403: ("permission_denied",),
    404: ("not_found",),
    409: ("protected",),  # a delete refused because other records reference the row (core.api)
    415: ("unsupported_media_type",),
    429: ("throttled",),
    503: ("database_unavailable",),  # core.middleware
}
_DESCRIPTIONS: dict[int, str] = {
    400: 'Validation error `{"<field>": ["message", ...]}` (DRF shape; `non_field_errors` for the whole request), '
    'or a domain rule violation `{"detail", "code", ...}`.',
    401: "No credentials, or invalid ones.",
    403: "The user may not use this resource (`permission_denied`), or is not a member of the project (`not_member`).",
    404: "No such object, or one outside the user's projects; or a page number past the last page.",
    409: 'A domain rule refused the request: `{"detail", "code", ...}`.',
    413: "The request is too large (`request_too_large`): a body over 1 MiB, or an uploaded file over 25 MB. "
    "Checked before the body is read, for every request.",
    415: "The body's Content-Type is not one this operation takes (JSON; multipart for a document upload).",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "A service the request needs is unavailable; `Retry-After` says when to try again.",
}
_COMPONENTS: dict[int, str] = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    409: "ConflictError",
    413: "RequestTooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "ThrottledError",
    503: "UnavailableError",
}
# Extra members some domain errors carry (API.md's error table); every one is optional.
_MONEY = {
    "type": "object",
    "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}},
    "required": ["amount", "currency"],
}
_EXTRAS: dict[str, dict[str, Any]] = {
    "conflicts": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "kind": {"type": "string", "enum": ["booking", "maintenance", "outage"]},
            },
            "required": ["start", "end", "kind"],
        },
        "description": "`booking_conflict`, `maintenance_conflict`: what the request overlaps.",
    },
    "requested_hours": {"type": "string", "description": "`allocation_exceeded`: hours the request needs."},
    "remaining_hours": {"type": "string", "description": "`allocation_exceeded`: hours left."},
    "rule": {"type": "string", "description": "`policy_violation`: the rule broken."},
    "errors": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "circuit": {"type": "integer", "nullable": True, "description": "The circuit's index in a batch."},
                "line": {"type": "integer", "nullable": True},
                "column": {"type": "integer", "nullable": True},
                "message": {"type": "string"},
            },
            "required": ["message"],
        },
        "description": "`invalid_circuit`: the problems found, with their position where known.",
    },
    "status": {"type": "string", "description": "The object's current status."},
    "limit": {"type": "integer", "description": "`queue_full`: the most queued + running jobs the policy allows."},
    "estimated_seconds": {"type": "number", "description": "`exceeds_booking`: the job's estimated QPU seconds."},
    "remaining_seconds": {"type": "number", "description": "`exceeds_booking`: the seconds left in its booking."},
    "allowed": {
        "type": "array",
        "items": {"type": "string"},
        "description": "`invalid_transition`: the steps allowed now.",
    },
    "fields": {
        "type": "array",
        "items": {"type": "string"},
        "description": "`amendment_required`: the locked fields the request changes.",
    },
    "contract_value": {**_MONEY, "description": "`payment_exceeds_contract`: the contract's value."},
    "paid": {**_MONEY, "description": "`payment_exceeds_contract`: paid so far."},
    "requested": {**_MONEY, "description": "`payment_exceeds_contract`: the payment asked for."},
    "work_orders": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "`office_has_open_work_orders`: the open work orders.",
    },
}
VALIDATION_ERROR = {
    "type": "object",
    "description": 'Validation errors by field: `{"<field>": ["message", ...]}`; `non_field_errors` for the request '
    "as a whole; a nested object or list carries the errors of its members in the same shape.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}
_PAGINATION_PARAMETERS = {"page", "page_size"}
_UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def error_codes() -> dict[int, list[str]]:
    """The `code` values of error bodies, by HTTP status."""
    from core.errors import ERROR_STATUS

    codes: dict[int, list[str]] = {status: list(names) for status, names in _FRAMEWORK_CODES.items()}
    for code, status in ERROR_STATUS.items():
        if code not in codes.setdefault(status, []):
            codes[status].append(code)
    return codes


def _error_component(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "detail": {"type": "string", "description": "A human sentence."},
            "code": {"type": "string", "enum": sorted(codes)},
            **_EXTRAS,
        },
        "required": ["detail", "code"],
        "additionalProperties": True,
    }


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses `operation` can answer."""
    parameters = operation.get("parameters", [])
    authenticated = any(requirement for requirement in operation.get("security", [{"auth": []}]))
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    # Every request's size is checked before anything else (core.middleware), whatever its method.
    statuses = [413, 429, 503]
    if "requestBody" in operation or query - _PAGINATION_PARAMETERS:
        statuses.append(400)
    if authenticated:
        statuses += [401, 403]
    if "{" in path or "page" in query:
        statuses.append(404)
    if method in _UNSAFE_METHODS and authenticated:
        statuses.append(409)
    if method in _UNSAFE_METHODS:  # a body of another type than the operation takes (core.middleware, DRF)
        statuses.append(415)
    return sorted(statuses)


def postprocess_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the documented error responses to every operation.

    A response an operation already declares for one of these statuses keeps its description; its body is the
    shared error component, which covers every code and extra member of that status.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    codes = error_codes()
    schemas["ValidationError"] = VALIDATION_ERROR
    for status, name in _COMPONENTS.items():
        schemas[name] = _error_component(codes.get(status, []))
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and int(code) in _COMPONENTS}
            for status in sorted(declared.union(_error_statuses(path, method, operation))):
                body: dict[str, Any] = {"$ref": f"#/components/schemas/{_COMPONENTS[status]}"}
                if status == 400:
                    body = {"anyOf": [{"$ref": "#/components/schemas/ValidationError"}, body]}
                existing = responses.get(str(status), {})
                description = existing.get("description") or ""
                if description and description != _DESCRIPTIONS[status]:
                    description = f"{description}. {_DESCRIPTIONS[status]}"
                response: dict[str, Any] = {
                    "content": {"application/json": {"schema": body}},
                    "description": description or _DESCRIPTIONS[status],
                }
                if status in (429, 503):
                    response["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                    }
                responses[str(status)] = response
    return result


# An operation-level note that a workflow step may be refused by a domain rule (its body is added by the hook above).
DOMAIN_ERROR = OpenApiResponse(description='Domain rule refused the step: `{"detail", "code", ...}`')
