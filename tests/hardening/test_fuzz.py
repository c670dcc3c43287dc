"""API fuzzing (issue 9): every operation of the OpenAPI schema at `/api/schema/`, as a superuser and as a
researcher, with schema-driven requests from schemathesis. No answer may be a server error, and every answer
must be one the schema documents: its status code, its content type and its body.

The schema is loaded through the WSGI application, exactly as a client reads it. Requests go through the same
application in-process. Each operation gets a bounded, derandomized number of examples, so a CI run is
reproducible and fast; each example runs in a savepoint that is rolled back, so no example sees another's
writes. Path ids and foreign keys in bodies are drawn from the shared data set (`api_world`) most of the time,
so that requests reach the rules behind the 404s and 400s, not only the lookups.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
import werkzeug
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.hardening.api_world import (  # noqa: F401  (`world` is the module-scoped data set fixture)
    PATH_OBJECTS,
    Operation,
    World,
    api_schema,
    body_with_all,
    db_snapshot,
    string_fields,
    world,
)

# By hand, `QFR_FUZZ_EXAMPLES=60` explores deeper and `QFR_FUZZ_MODE=negative` sends invalid data instead (every
# answer must then be a documented 4xx); CI keeps the defaults.
MAX_EXAMPLES = int(os.environ.get("QFR_FUZZ_EXAMPLES", "10"))
ROLES = ("root", "researcher_a")
GENERATION_MODE = schemathesis.GenerationMode(os.environ.get("QFR_FUZZ_MODE", "positive"))


def not_unavailable(ctx: Any, response: Any, case: Any) -> bool:
    """503 is documented (database or broker down), but both are up here: a 503 is a database error in disguise."""
    assert response.status_code != 503, f"503 while every service is up: {response.content[:300]!r}"
    return True


CHECKS = [
    not_a_server_error,
    not_unavailable,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _TestWSGIApp:
    """Django's WSGI handler for in-process calls inside a test transaction.

    Production closes stale database connections when a request starts and finishes; inside the test's
    transaction that would drop the connection (autocommit is off), so it is suspended during a call, as Django's
    own test client does. The body is read and the response closed before returning, so files are not left open.
    """

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = _TestWSGIApp()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

# Not fuzzed, with the reason. Keep this empty unless an operation truly cannot be exercised here.
SKIPPED: dict[str, str] = {}


# Which objects a foreign key in a request body names, by field name.
ORGANIZATIONS = ("organization", "vendor")
FIELD_OBJECTS: dict[str, tuple[str, ...]] = {
    "organization": ORGANIZATIONS,
    "parent": ORGANIZATIONS,
    "institution": ORGANIZATIONS,
    "buyer": ORGANIZATIONS,
    "procuring_entity": ORGANIZATIONS,
    "tenderer": ORGANIZATIONS,
    "payer": ORGANIZATIONS,
    "payee": ORGANIZATIONS,
    "suppliers": ORGANIZATIONS,
    "site": ("site",),
    "office": ("office",),
    "equipment": ("equipment",),
    "work_order": ("work_order",),
    "backend": ("backend",),
    "project": ("project_a", "project_b"),
    "booking": ("booking_a", "booking_b"),
    "process": ("process",),
    "tender": ("tender",),
    "award": ("award",),
    "contract": ("contract",),
    "milestone": ("milestone",),
    "supersedes": ("document",),
}
USER_FIELDS = ("user", "head", "assignee", "pi", "participants")


def _field_ids(data_set: World) -> dict[str, list[int]]:
    ids = {name: [data_set.objects[key].pk for key in keys] for name, keys in FIELD_OBJECTS.items()}
    users = [user.pk for user in data_set.users.values() if user is not None]
    ids.update(dict.fromkeys(USER_FIELDS, users))
    return ids


def _path_ids(data_set: World, path: str) -> list[int]:
    """Ids of the objects the path's first parameter names: the collection just before it (`/projects/{id}/members/`
    is a project's)."""
    segments = [segment for segment in path.split("/") if segment]
    for before, segment in itertools.pairwise(segments):
        if segment.startswith("{"):
            return [data_set.objects[key].pk for key in PATH_OBJECTS.get(before, ())]
    return []


def _with_known_ids(data: st.DataObject, value: Any, ids: dict[str, list[int]]) -> Any:
    """`value` with some integer foreign keys replaced by ids of the data set (drawn, so shrinking works)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            known = ids.get(key)
            if known and isinstance(item, int) and not isinstance(item, bool):
                item = data.draw(st.sampled_from([*known, item]))
            elif known and isinstance(item, list) and all(isinstance(i, int) for i in item):
                item = [data.draw(st.sampled_from([*known, i])) for i in item]
            else:
                item = _with_known_ids(data, item, ids)
            result[key] = item
        return result
    if isinstance(value, list):
        return [_with_known_ids(data, item, ids) for item in value]
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_operation(operation: Any, role: str, world: World, db: None) -> None:  # noqa: F811
    if operation.label in SKIPPED:
        pytest.skip(SKIPPED[operation.label])
    headers = {"Authorization": f"Token {world.tokens[role]}"}
    client = werkzeug.Client(APP)  # its own cookie jar: nothing carries over between tests
    field_ids = _field_ids(world)
    path_ids = _path_ids(world, operation.path)
    strategies: dict[int | None, Any] = {}

    def strategy_for(path_id: int | None) -> Any:
        if path_id not in strategies:
            fixed = None
            if path_id is not None:
                fixed = dict.fromkeys(_path_parameter_names(operation), path_id)
            strategies[path_id] = operation.as_strategy(GENERATION_MODE, path_parameters=fixed)
        return strategies[path_id]

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(data=st.data())
    def run(data: st.DataObject) -> None:
        path_id = data.draw(st.sampled_from([*path_ids, None])) if path_ids else None
        case = data.draw(strategy_for(path_id))
        if isinstance(case.body, dict | list):
            case.body = _with_known_ids(data, case.body, field_ids)
        if case.query:
            case.query = _with_known_ids(data, dict(case.query), field_ids)
        savepoint = transaction.savepoint()
        try:
            response = case.call(app=APP, session=client, headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
        finally:
            transaction.savepoint_rollback(savepoint)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if GENERATION_MODE is not schemathesis.GenerationMode.NEGATIVE:
            raise
        pytest.skip("no parameter or body to make invalid")  # an operation with nothing a client could get wrong


@pytest.fixture(scope="module", autouse=True)
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploads the fuzzer gets accepted are files on disk, which no rollback removes: keep them out of var/."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("fuzz-media")):
        yield


def _path_parameter_names(operation: Any) -> list[str]:
    return [parameter.name for parameter in operation.path_parameters]


def test_every_operation_is_fuzzed() -> None:
    """Nothing is left out silently: the operations fuzzed are the schema's, less the ones skipped with reason."""
    assert len(OPERATIONS) > 100
    assert set(SKIPPED) <= {operation.label for operation in OPERATIONS}


# What the fuzzer found, kept as plain cases: each answered 500 (or off the schema) before its fix.
REGRESSIONS = [
    # A number filter on an id overflowed SQLite's 64-bit integers.
    ("/api/v1/jobs/?booking=-2.57307926637746e%2B206", 400, "booking"),
    ("/api/v1/jobs/?project=1e300", 400, "project"),
    ("/api/v1/work-orders/?site=1e300", 400, "site"),
    # A time with no UTC equivalent overflowed SQLite's conversion to UTC.
    ("/api/v1/bookings/?start_after=0001-01-01T00:00:00%2B05:00", 400, "start_after"),
    ("/api/v1/work-orders/?opened_before=9999-12-31T23:59:00-05:00", 400, "opened_before"),
    ("/api/v1/office-activities/?start_after=0001-01-01T00:00:00%2B09:00", 400, "start_after"),
    # An offset beyond PostgreSQL's 16 hours was a DataError there; the filter now sends UTC.
    ("/api/v1/bookings/?start_before=1114-02-24T16%3A21%3A48.912432-18%3A47", 200, "results"),
    ("/api/v1/work-orders/?opened_before=0156-12-10T10%3A43%3A21-23%3A35", 200, "results"),
    # A negative id matches no route: the 404 was Django's HTML page, not API.md's JSON.
    ("/api/v1/jobs/-1661078/", 404, "code"),
    ("/api/v1/reports/-86556075/download/", 404, "code"),
    # get_object_or_404's Http404 answered without a `code`.
    ("/api/v1/bookings/999999/", 404, "code"),
]


@pytest.mark.parametrize(("url", "status", "key"), REGRESSIONS)
def test_fuzzer_findings_stay_fixed(world: World, db: None, url: str, status: int, key: str) -> None:  # noqa: F811
    response = world.client("root").get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert key in body
    if status == 404:
        assert body["code"] == "not_found"


def test_a_url_outside_the_api_keeps_the_html_404(client: Any) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- Lone surrogates and absurd nesting, on every write operation with a body -----------------------------------------
# Hypothesis never draws a lone surrogate (not Unicode text) and keeps nesting shallow, so these two inputs are sent
# as explicit cases through the same checks: a documented status, content type and body (400 `parse_error`; 415
# for the multipart-only document upload), and the database unchanged.
BODY_OPERATIONS = [
    operation
    for operation in OPERATIONS
    if operation.method.lower() in {"post", "put", "patch", "delete"} and operation.body
]


def _explicit_case(operation: Any, data_set: World, raw: bytes) -> Any:
    path_id = next(iter(_path_ids(data_set, operation.path)), None)
    parameters = dict.fromkeys(_path_parameter_names(operation), path_id) if path_id is not None else None
    return operation.Case(body=raw, media_type="application/json", path_parameters=parameters)


def _surrogate_body(operation: Any) -> bytes:
    method = operation.method.lower()
    spec = Operation(method, operation.path, api_schema()["paths"][operation.path][method])
    return json.dumps(body_with_all(string_fields(spec), "\ud800")).encode()


def _nested_body(operation: Any) -> bytes:
    return b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}"


@pytest.mark.parametrize("make_body", [_surrogate_body, _nested_body], ids=["lone-surrogate", "nested-1000"])
@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=lambda operation: operation.label)
def test_lone_surrogates_and_deep_nesting_answer_a_documented_400(
    operation: Any,
    make_body: Any,
    world: World,  # noqa: F811
    db: None,
) -> None:
    headers = {"Authorization": f"Token {world.tokens['root']}"}
    case = _explicit_case(operation, world, make_body(operation))
    before = db_snapshot()
    response = case.call(app=APP, session=werkzeug.Client(APP), headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    json_body = any(body.media_type == "application/json" for body in operation.body)
    assert response.status_code == (400 if json_body else 415), response.content[:300]
    if json_body:
        assert response.json()["code"] == "parse_error"
    assert db_snapshot() == before


def test_every_write_operation_with_a_body_gets_the_explicit_cases() -> None:
    assert len(BODY_OPERATIONS) >= 58
