"""The OpenAPI schema (issue 9): valid, warning-free, and describing every endpoint, error body and error code of
API.md, so that a client generated from it (and the fuzzer, tests/hardening/test_fuzz.py) knows every answer.

API.md's paths and codes are listed here as the contract; when shared/API.md sits beside the repository (CI,
development), the lists are also checked against it, so that a path or code added there must be added here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from core.errors import ERROR_STATUS

API_MD = Path(settings.BASE_DIR).parent / "shared" / "API.md"

# Every /api/v1/ path of API.md; `{}` stands for any path parameter.
API_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/users/",
    "/api/v1/users/me/",
    "/api/v1/organizations/",
    "/api/v1/sites/",
    "/api/v1/offices/",
    "/api/v1/office-activities/",
    "/api/v1/equipment/",
    "/api/v1/work-orders/",
    "/api/v1/backends/",
    "/api/v1/backends/{}/availability/",
    "/api/v1/maintenance-windows/",
    "/api/v1/outages/",
    "/api/v1/calibrations/",
    "/api/v1/projects/",
    "/api/v1/allocations/",
    "/api/v1/bookings/",
    "/api/v1/bookings/{}/cancel/",
    "/api/v1/bookings/{}/approve/",
    "/api/v1/bookings/{}/reject/",
    "/api/v1/bookings/series/",
    "/api/v1/jobs/",
    "/api/v1/jobs/{}/result/",
    "/api/v1/jobs/{}/cancel/",
    "/api/v1/procurement/processes/",
    "/api/v1/procurement/processes/{}/transition/",
    "/api/v1/procurement/processes/{}/history/",
    "/api/v1/procurement/processes/{}/ocds/",
    "/api/v1/procurement/ocds/releases/",
    "/api/v1/procurement/ocds/records/",
    "/api/v1/procurement/tenders/",
    "/api/v1/procurement/bids/",
    "/api/v1/procurement/awards/",
    "/api/v1/procurement/contracts/",
    "/api/v1/procurement/milestones/",
    "/api/v1/procurement/amendments/",
    "/api/v1/procurement/payments/",
    "/api/v1/procurement/documents/",
    "/api/v1/procurement/exchange-rates/",
    "/api/v1/reports/",
    "/api/v1/reports/{}/",
    "/api/v1/reports/{}/download/",
]
# Collections of API.md have a detail endpoint too (`/{id}/`) unless listed here.
NO_DETAIL = {
    "/api/v1/auth/token/",
    "/api/v1/users/",
    "/api/v1/users/me/",
    "/api/v1/bookings/series/",
    "/api/v1/procurement/ocds/releases/",
    "/api/v1/procurement/ocds/records/",
    "/api/v1/reports/",
}
# API.md's error table: code -> status.
API_ERROR_CODES = {
    "booking_conflict": 409,
    "maintenance_conflict": 409,
    "allocation_exceeded": 409,
    "policy_violation": 400,
    "not_member": 403,
    "not_cancellable": 409,
    "no_active_booking": 409,
    "invalid_circuit": 400,
    "job_not_finished": 409,
    "invalid_transition": 409,
    "payment_exceeds_contract": 409,
    "amendment_required": 409,
    "report_not_ready": 409,
    "request_too_large": 413,
    "queue_full": 409,
    "exceeds_booking": 409,
}
# Parts of API.md that open issues build (issue 18: project members and the waitlist). They are kept apart, not
# dropped: while one is missing from the API it is listed here, and `test_planned_parts_of_api_md_are_not_built_yet`
# fails the moment it is built, so it moves into the lists above.
PLANNED_PATHS = {
    "/api/v1/projects/{}/members/": "issue 18",
    "/api/v1/projects/{}/members/{}/": "issue 18",
    "/api/v1/waitlist/": "issue 18",
    "/api/v1/waitlist/{}/": "issue 18",
}
PLANNED_ERROR_CODES = {"not_pi": 403, "slot_free": 409}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _normalize(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _validator(schema: dict[str, Any], ref: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema validator for `ref` that resolves the schema's `#/components/...` references."""
    resource = Resource.from_contents({**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    registry: Registry[Any] = Registry().with_resource("urn:openapi", resource)
    return Draft202012Validator({"$ref": f"urn:openapi{ref['$ref']}"}, registry=registry)


def _response_schema(operation: dict[str, Any], status: int) -> dict[str, Any]:
    body: dict[str, Any] = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return body


def test_schema_is_valid_without_warnings(tmp_path: Path) -> None:
    """What `manage.py spectacular --validate --fail-on-warn` checks (it raises on an error or a warning)."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.stat().st_size > 10_000


def test_schema_is_served_with_the_error_responses(client: Any) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    assert "ConflictError" in served["components"]["schemas"]
    assert "409" in served["paths"]["/api/v1/bookings/"]["post"]["responses"]


def test_every_path_of_api_md_is_described(schema: dict[str, Any]) -> None:
    described = {_normalize(path) for path in schema["paths"]}
    expected = set(API_PATHS)
    expected |= {f"{path}{{}}/" for path in API_PATHS if path not in NO_DETAIL and "{}" not in path}
    assert sorted(expected - described) == []


@pytest.mark.skipif(not API_MD.exists(), reason="shared/API.md is not beside the repository")
def test_the_lists_here_follow_api_md() -> None:
    text = API_MD.read_text(encoding="utf-8")
    mentioned = {_normalize(path) for path in re.findall(r"/api/v1/[a-z0-9_\-/{}]*", text)}
    mentioned.discard("/api/v1/")
    assert sorted(mentioned - set(API_PATHS) - set(PLANNED_PATHS)) == []
    table = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", text, flags=re.MULTILINE))
    assert {code: int(status) for code, status in table.items()} == API_ERROR_CODES | PLANNED_ERROR_CODES


def test_planned_parts_of_api_md_are_not_built_yet(schema: dict[str, Any]) -> None:
    described = {_normalize(path) for path in schema["paths"]}
    assert sorted(set(PLANNED_PATHS) & (described | set(API_PATHS))) == []
    assert sorted(set(PLANNED_ERROR_CODES) & (set(ERROR_STATUS) | set(API_ERROR_CODES))) == []


def test_every_error_code_of_api_md_is_in_the_schema_with_its_status(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    by_status = {
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
    for code, status in {**API_ERROR_CODES, **ERROR_STATUS}.items():
        assert code in components[by_status[status]]["properties"]["code"]["enum"], code
    assert components["UnauthorizedError"]["properties"]["code"]["enum"] == [
        "authentication_failed",
        "not_authenticated",
    ]


def test_every_operation_documents_the_errors_it_can_answer(schema: dict[str, Any]) -> None:
    missing = []
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        authenticated = any(operation.get("security", [{"auth": []}]))
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        expected = {"413", "429", "503"}  # every request's size is checked first, whatever its method
        if authenticated:
            expected |= {"401", "403"}
        if "{" in path or "page" in query:
            expected.add("404")
        if "requestBody" in operation or query - {"page", "page_size"}:
            expected.add("400")
        if method != "get" and authenticated:
            expected.add("409")
        if method != "get":
            expected.add("415")
        for status in sorted(expected - set(responses)):
            missing.append(f"{method.upper()} {path} {status}")
        for status, response in responses.items():
            if int(status) >= 400:
                assert "application/json" in response.get("content", {}), f"{method.upper()} {path} {status}"
    assert missing == []


def test_the_token_endpoint_documents_no_authentication_errors(schema: dict[str, Any]) -> None:
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "400" in responses
    assert "401" not in responses


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"backend": ["This field is required."], "non_field_errors": ["Give count or until."]}),
        (400, {"repeat": {"until": ["The series ends before its first booking."]}}),
        (400, {"items": [{}, {"quantity": ["A valid number is required."]}]}),
        (400, {"detail": "Bookings start on the slot grid.", "code": "policy_violation", "rule": "slot"}),
        (
            400,
            {
                "detail": "The circuit cannot run on this backend.",
                "code": "invalid_circuit",
                "errors": [{"line": 3, "column": 1, "message": "unknown gate"}],
            },
        ),
        (400, {"detail": "JSON parse error", "code": "parse_error"}),
        (401, {"detail": "Invalid token.", "code": "authentication_failed"}),
        (403, {"detail": "You are not a member of this project.", "code": "not_member"}),
        (404, {"detail": "No Booking matches the given query.", "code": "not_found"}),
        (
            409,
            {
                "detail": "The time overlaps another booking.",
                "code": "booking_conflict",
                "conflicts": [{"start": "2026-03-02T00:00:00Z", "end": "2026-03-02T01:00:00Z", "kind": "booking"}],
            },
        ),
        (409, {"detail": "No", "code": "allocation_exceeded", "requested_hours": "2.00", "remaining_hours": "1.00"}),
        (409, {"detail": "No", "code": "invalid_transition", "allowed": ["tender"], "status": "planning"}),
        (
            409,
            {
                "detail": "No",
                "code": "payment_exceeds_contract",
                "contract_value": {"amount": "950000.00", "currency": "EUR"},
                "paid": {"amount": "0.00", "currency": "EUR"},
            },
        ),
        (409, {"detail": "Not yet", "code": "report_not_ready", "status": "running"}),
        (413, {"detail": "The request is too large.", "code": "request_too_large"}),
        (415, {"detail": 'Unsupported media type "text/plain" in request.', "code": "unsupported_media_type"}),
        (503, {"detail": "The database is unavailable at the moment.", "code": "database_unavailable"}),
    ],
)
def test_error_bodies_of_api_md_fit_the_schema(schema: dict[str, Any], status: int, body: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/bookings/{id}/cancel/"]["post"]
    if status == 409 and body["code"] == "report_not_ready":
        operation = schema["paths"]["/api/v1/reports/{id}/download/"]["get"]
    body_schema = _response_schema(operation, status)
    refs = body_schema.get("anyOf", [body_schema])
    assert any(_validator(schema, ref).is_valid(body) for ref in refs), body


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"detail": "Nope", "code": "booking_conflict"}),  # a 409 code under 400
        (409, {"detail": "Nope", "code": "made_up"}),
        (409, {"code": "booking_conflict"}),  # no detail
        (404, {"detail": "Not found."}),  # no code
        (400, {"backend": "This field is required."}),  # messages come in a list
        (413, {"detail": "Too large", "code": "parse_error"}),  # a 400 code under 413
    ],
)
def test_bodies_off_the_contract_do_not_fit(schema: dict[str, Any], status: int, body: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/bookings/{id}/cancel/"]["post"]
    body_schema = _response_schema(operation, status)
    refs = body_schema.get("anyOf", [body_schema])
    assert not any(_validator(schema, ref).is_valid(body) for ref in refs), body


def test_every_get_documents_413_but_no_415(schema: dict[str, Any]) -> None:
    """A GET's body is never read, but its size is checked like any other; a content type is only refused on writes."""
    for path, method, operation in _operations(schema):
        if method == "get":
            assert "413" in operation["responses"], path
            assert "415" not in operation["responses"], path


def test_only_the_document_upload_takes_multipart(schema: dict[str, Any]) -> None:
    """Request content types per operation: JSON everywhere (no form encoding), multipart only for the upload."""
    bodies = {
        f"{method.upper()} {path}": set(operation["requestBody"]["content"])
        for path, method, operation in _operations(schema)
        if "requestBody" in operation
    }
    assert bodies.pop("POST /api/v1/procurement/documents/") == {"multipart/form-data"}
    assert len(bodies) >= 57
    assert {name: types for name, types in bodies.items() if types != {"application/json"}} == {}
