# ruff: noqa: E501, F811  (the tables are one row per case; `world` is a fixture imported from api_world)
"""Bad input, tried on purpose against the real endpoints: every request answers 400 or 413 (never 500) with a clear
message, and the database is exactly as before (row count and checksum of every table of the apps).

Each case names the role that sends it, so the request passes the permission check and reaches validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from scheduling.simulator import MAX_SOURCE_CHARS
from tests.hardening.api_world import (  # noqa: F401  (`world` is a fixture)
    PDF_BYTES,
    Operation,
    World,
    api_schema,
    body_with,
    db_snapshot,
    string_fields,
    world,
    write_operations_with_body,
)

pytestmark = pytest.mark.django_db

V = "/api/v1"
MB = 1024 * 1024
HUGE = 10**30
LONG = MB - 1024  # a long string that still fits a JSON body of 1 MiB (API.md)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\n'


@dataclass(frozen=True)
class Case:
    """One bad request. `body` is JSON (a callable gets the world), `raw` is sent as is with `content_type`."""

    name: str
    role: str
    method: str
    url: str
    body: Any = None
    raw: bytes | Callable[[World], bytes] | None = None
    content_type: str = "application/json"
    multipart: Callable[[World], dict[str, Any]] | None = None
    statuses: tuple[int, ...] = (400,)
    says: str = ""  # a fragment the message must contain (case-insensitive)


def booking(w: World, **over: Any) -> dict[str, Any]:
    body = {
        "backend": w.backend.pk,
        "project": w.project_a.pk,
        "start": "2026-03-03T01:00:00Z",
        "end": "2026-03-03T02:00:00Z",
        "purpose": "bad input test",
    }
    return {**body, **over}


def series(w: World, **over: Any) -> dict[str, Any]:
    return {**booking(w), "repeat": {"freq": "daily", "count": 3}, **over}


def job(w: World, **over: Any) -> dict[str, Any]:
    return {"backend": w.backend.pk, "project": w.project_a.pk, "qasm": BELL, "shots": 100, **over}


def window(w: World, **over: Any) -> dict[str, Any]:
    body = {
        "backend": w.backend.pk,
        "start": "2026-03-20T00:00:00Z",
        "end": "2026-03-20T02:00:00Z",
        "title": "Cooldown",
    }
    return {**body, **over}


def outage(w: World, **over: Any) -> dict[str, Any]:
    return {"backend": w.backend.pk, "start": "2026-03-01T00:00:00Z", "severity": "major", **over}


def calibration(w: World, **over: Any) -> dict[str, Any]:
    qubits = [
        {"qubit": f"QB{i}", "t1_us": 36, "t2_us": 19, "prx_fidelity": 0.997, "readout_fidelity": 0.95}
        for i in range(1, 6)
    ]
    couplers = [{"qubits": [f"QB{i}", "QB3"], "cz_fidelity": 0.962} for i in (1, 2, 4, 5)]
    return {"backend": w.backend.pk, "qubits": qubits, "couplers": couplers, **over}


def payment(w: World, **over: Any) -> dict[str, Any]:
    body = {
        "contract": w.contract.pk,
        "date": "2024-07-01",
        "value": {"amount": "1000.00", "currency": "EUR"},
        "payer": w.process.buyer_id,
        "payee": w.vendor.pk,
        "method": "wire_transfer",
    }
    return {**body, **over}


def usage_report(w: World, **params: Any) -> dict[str, Any]:
    return {
        "kind": "project_usage",
        "params": {"project": w.project_a.pk, "start": "2026-03-01", "end": "2026-04-01", **params},
    }


def utilization(w: World, **params: Any) -> dict[str, Any]:
    return {
        "kind": "utilization",
        "params": {"backend": w.backend.pk, "start": "2026-03-01", "end": "2026-04-01", **params},
    }


def document(name: str, content: bytes, **extra: Any) -> Callable[[World], dict[str, Any]]:
    def make(w: World) -> dict[str, Any]:
        return {
            "process": w.process.pk,
            "stage": "contract",
            "document_type": "contractSigned",
            "title": "Upload",
            "file": SimpleUploadedFile(name, content),
            **extra,
        }

    return make


def nested_qasm(depth: int) -> str:
    return HEADER + "rx(" + "(" * depth + "0.1" + ")" * depth + ") q[0];\nmeasure q -> c;\n"


RA, FM, PO, ROOT = "researcher_a", "facility_manager", "procurement_officer", "root"
NAIVE = "2026-03-03T01:00:00"
OFFSET = "offset"  # the naive-time message

# fmt: off
CASES: list[Case] = [
    # malformed bodies
    Case("bookings: malformed JSON", RA, "post", f"{V}/bookings/", raw=b'{"backend": 1,', says="JSON parse error"),
    Case("jobs: malformed JSON", RA, "post", f"{V}/jobs/", raw=b"[[[", says="JSON parse error"),
    Case("reports: JSON is not an object", RA, "post", f"{V}/reports/", raw=b'"utilization"'),
    Case("windows: non-UTF-8 body", FM, "post", f"{V}/maintenance-windows/", raw=b'{"title": "\xff\xfe\xfa"}', says="JSON parse error"),
    Case("bookings: non-UTF-8 body", RA, "post", f"{V}/bookings/", raw=b'{"purpose": "caf\xe9"}', says="JSON parse error"),
    Case("bookings: form body where JSON expected", RA, "post", f"{V}/bookings/", raw=b"backend=1&project=x", content_type="text/plain", statuses=(415,)),
    # wrong types
    Case("bookings: backend is text", RA, "post", f"{V}/bookings/", lambda w: booking(w, backend="spark")),
    Case("bookings: start is a number", RA, "post", f"{V}/bookings/", lambda w: booking(w, start=1772413200)),
    Case("bookings: purpose is a list", RA, "post", f"{V}/bookings/", lambda w: booking(w, purpose=["a"])),
    Case("series: repeat is text", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat="daily")),
    Case("series: unknown freq", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat={"freq": "hourly", "count": 2})),
    Case("jobs: qasm is an object", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm={"OPENQASM": 2})),
    Case("jobs: shots is text", RA, "post", f"{V}/jobs/", lambda w: job(w, shots="many")),
    Case("jobs: shots is fractional", RA, "post", f"{V}/jobs/", lambda w: job(w, shots=1.5)),
    Case("calibrations: qubits is text", FM, "post", f"{V}/calibrations/", lambda w: calibration(w, qubits="QB1")),
    Case("calibrations: fidelity is text", FM, "post", f"{V}/calibrations/", lambda w: calibration(w, couplers=[{"qubits": ["QB1", "QB3"], "cz_fidelity": "high"}])),
    Case("payments: value is text", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value="lots")),
    Case("payments: amount not a number", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value={"amount": "NaN", "currency": "EUR"})),
    Case("payments: infinite amount", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value={"amount": "Infinity", "currency": "EUR"})),
    Case("payments: unknown currency", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value={"amount": "1.00", "currency": "XXX"})),
    Case("reports: params is a list", RA, "post", f"{V}/reports/", {"kind": "project_usage", "params": [1, 2]}),
    Case("reports: unknown kind", RA, "post", f"{V}/reports/", {"kind": "everything", "params": {}}),
    Case("users: email is a number", ROOT, "post", f"{V}/users/", {"username": "x1", "email": 12, "password": "pw-correct-horse-42"}),
    # huge numbers
    Case("jobs: 10**30 shots", RA, "post", f"{V}/jobs/", lambda w: job(w, shots=HUGE)),
    Case("jobs: 10**30 seed", RA, "post", f"{V}/jobs/", lambda w: job(w, seed=HUGE)),
    Case("jobs: negative shots", RA, "post", f"{V}/jobs/", lambda w: job(w, shots=-1)),
    Case("bookings: backend id 10**30", RA, "post", f"{V}/bookings/", lambda w: booking(w, backend=HUGE)),
    Case("jobs: booking id 10**30", RA, "post", f"{V}/jobs/", lambda w: job(w, booking=HUGE)),
    Case("allocations: 10**30 hours", FM, "post", f"{V}/allocations/", lambda w: {"project": w.project_a.pk, "backend": w.backend.pk, "hours": str(HUGE), "valid_from": "2026-01-01", "valid_until": "2026-12-31"}),
    Case("calibrations: T1 of 1e999 (infinite)", FM, "post", f"{V}/calibrations/", raw=lambda w: json.dumps(calibration(w)).replace('"t1_us": 36', '"t1_us": 1e999', 1).encode()),
    Case("calibrations: negative T1", FM, "post", f"{V}/calibrations/", lambda w: calibration(w, qubits=[{"qubit": "QB1", "t1_us": -36, "t2_us": 19, "prx_fidelity": 0.997, "readout_fidelity": 0.95}])),
    Case("payments: amount 10**30", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value={"amount": str(HUGE), "currency": "EUR"})),
    Case("series: count 10**30", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat={"freq": "daily", "count": HUGE})),
    Case("reports: project id 10**30", RA, "post", f"{V}/reports/", lambda w: usage_report(w, project=HUGE)),
    # zero and negative durations
    Case("bookings: zero length", RA, "post", f"{V}/bookings/", lambda w: booking(w, end="2026-03-03T01:00:00Z")),
    Case("bookings: end before start", RA, "post", f"{V}/bookings/", lambda w: booking(w, end="2026-03-03T00:00:00Z")),
    Case("series: end before start", RA, "post", f"{V}/bookings/series/", lambda w: series(w, end="2026-03-03T00:00:00Z")),
    Case("series: count 0", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat={"freq": "daily", "count": 0})),
    Case("series: until before start", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat={"freq": "weekly", "until": "2026-01-01"})),
    Case("windows: end before start", FM, "post", f"{V}/maintenance-windows/", lambda w: window(w, end="2026-03-19T00:00:00Z")),
    Case("windows: zero length", FM, "post", f"{V}/maintenance-windows/", lambda w: window(w, end="2026-03-20T00:00:00Z")),
    Case("outages: end before start", FM, "post", f"{V}/outages/", lambda w: outage(w, end="2026-02-28T00:00:00Z")),
    Case("activities: end before start", FM, "post", f"{V}/office-activities/", lambda w: {"office": w.office.pk, "kind": "training", "title": "T", "start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z", "participants": 3}),
    Case("reports: end before start", RA, "post", f"{V}/reports/", lambda w: usage_report(w, end="2026-02-01")),
    Case("allocations: valid_until before valid_from", FM, "post", f"{V}/allocations/", lambda w: {"project": w.project_a.pk, "backend": w.backend.pk, "hours": "10", "valid_from": "2026-12-31", "valid_until": "2026-01-01"}),
    Case("allocations: negative hours", FM, "post", f"{V}/allocations/", lambda w: {"project": w.project_a.pk, "backend": w.backend.pk, "hours": "-5", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}),
    Case("payments: negative amount", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, value={"amount": "-1000.00", "currency": "EUR"})),
    # dates far in the past and future
    Case("bookings: year 1", RA, "post", f"{V}/bookings/", lambda w: booking(w, start="0001-01-01T00:00:00Z", end="0001-01-01T01:00:00Z")),
    Case("bookings: year 1 east of UTC", RA, "post", f"{V}/bookings/", lambda w: booking(w, start="0001-01-01T00:00:00+09:00", end="0001-01-01T01:00:00+09:00")),
    Case("bookings: year 9999", RA, "post", f"{V}/bookings/", lambda w: booking(w, start="9999-12-31T22:00:00Z", end="9999-12-31T23:00:00Z")),
    Case("bookings: year 9999 west of UTC", RA, "post", f"{V}/bookings/", lambda w: booking(w, start="9999-12-31T22:00:00-09:00", end="9999-12-31T23:00:00-09:00")),
    Case("bookings: year 10000", RA, "post", f"{V}/bookings/", lambda w: booking(w, end="10000-01-01T00:00:00Z")),
    Case("windows: year 1 east of UTC", FM, "post", f"{V}/maintenance-windows/", lambda w: window(w, start="0001-01-01T00:00:00+09:00", end="0001-01-01T02:00:00+09:00")),
    Case("series: until year 9999", RA, "post", f"{V}/bookings/series/", lambda w: series(w, repeat={"freq": "daily", "until": "9999-12-31"})),
    Case("reports: year 1 to 9999", RA, "post", f"{V}/reports/", lambda w: usage_report(w, start="0001-01-01", end="9999-12-31")),
    Case("utilization: year 1 to 9999", FM, "post", f"{V}/reports/", lambda w: utilization(w, start="0001-01-01", end="9999-12-31")),
    Case("payments: year 1", PO, "post", f"{V}/procurement/payments/", lambda w: payment(w, date="0001-01-01")),
    Case("availability: year 1 to 9999", RA, "get", f"{V}/backends/{{backend}}/availability/?start=0001-01-01T00:00:00Z&end=9999-12-31T00:00:00Z"),
    # naive datetimes (API.md: ISO 8601 with offset in requests)
    Case("bookings: naive start", RA, "post", f"{V}/bookings/", lambda w: booking(w, start=NAIVE, end="2026-03-03T02:00:00Z"), says=OFFSET),
    Case("series: naive times", RA, "post", f"{V}/bookings/series/", lambda w: series(w, start=NAIVE, end="2026-03-03T02:00:00"), says=OFFSET),
    Case("availability: naive start", RA, "get", f"{V}/backends/{{backend}}/availability/?start=2026-03-02T00:00:00&end=2026-03-03T00:00:00Z", says=OFFSET),
    Case("windows: naive times", FM, "post", f"{V}/maintenance-windows/", lambda w: window(w, start="2026-03-20T00:00:00", end="2026-03-20T02:00:00"), says=OFFSET),
    Case("outages: naive start", FM, "post", f"{V}/outages/", lambda w: outage(w, start="2026-03-01T00:00:00"), says=OFFSET),
    Case("calibrations: naive measured_at", FM, "post", f"{V}/calibrations/", lambda w: calibration(w, measured_at="2026-03-01T00:00:00"), says=OFFSET),
    Case("activities: naive start", FM, "post", f"{V}/office-activities/", lambda w: {"office": w.office.pk, "kind": "training", "title": "T", "start": "2026-03-01T00:00:00", "end": "2026-03-01T02:00:00Z", "participants": 3}, says=OFFSET),
    Case("work order: naive acknowledge time", FM, "post", f"{V}/work-orders/{{work_order}}/acknowledge/", {"at": "2026-03-01T12:00:00"}, says=OFFSET),
    Case("bids: naive submitted_at", PO, "post", f"{V}/procurement/bids/", lambda w: {"tender": w.tender.pk, "tenderer": w.vendor.pk, "value": {"amount": "1.00", "currency": "EUR"}, "submitted_at": "2024-01-21T00:00:00"}, says=OFFSET),
    Case("amendments: naive date", PO, "post", f"{V}/procurement/amendments/", lambda w: {"contract": w.contract.pk, "rationale": "r", "new_period_end": "2026-06-30", "date": "2026-03-01T00:00:00"}, says=OFFSET),
    # unknown time zones
    Case("users: unknown time zone", ROOT, "post", f"{V}/users/", {"username": "tz1", "email": "tz1@example.org", "password": "pw-correct-horse-42", "time_zone": "Mars/Olympus_Mons"}),
    Case("sites: unknown time zone", FM, "post", f"{V}/sites/", lambda w: {"organization": w.organization.pk, "name": "S", "city": "C", "country": "KR", "time_zone": "Asia/Atlantis"}),
    Case("utilization: unknown time zone", FM, "post", f"{V}/reports/", lambda w: utilization(w, time_zone="Nowhere/City")),
    Case("utilization: time zone with path", FM, "post", f"{V}/reports/", lambda w: utilization(w, time_zone="../../etc/localtime")),
    Case("bookings: offset +25:00", RA, "post", f"{V}/bookings/", lambda w: booking(w, start="2026-03-03T01:00:00+25:00")),
    # very long strings
    Case("bookings: 1 MB purpose", RA, "post", f"{V}/bookings/", lambda w: booking(w, purpose="x" * LONG)),
    Case("jobs: 1 MB name", RA, "post", f"{V}/jobs/", lambda w: job(w, name="x" * LONG)),
    Case("windows: 1 MB title", FM, "post", f"{V}/maintenance-windows/", lambda w: window(w, title="x" * LONG)),
    Case("users: 1 MB username", ROOT, "post", f"{V}/users/", {"username": "x" * LONG, "email": "long@example.org", "password": "pw-correct-horse-42"}),
    Case("processes: 1 MB title", PO, "post", f"{V}/procurement/processes/", lambda w: {"title": "x" * LONG, "buyer": w.process.buyer_id, "procuring_entity": w.process.procuring_entity_id}),
    Case("processes: transition to 1 MB status", PO, "post", f"{V}/procurement/processes/{{process}}/transition/", {"to": "x" * LONG}),
    Case("bookings: purpose over the 1 MiB body limit", RA, "post", f"{V}/bookings/", lambda w: booking(w, purpose="x" * MB), statuses=(413,), says="too large"),
    Case("token: anonymous body over 1 MiB", "anonymous", "post", f"{V}/auth/token/", {"username": "x" * MB, "password": "p"}, statuses=(413,), says="too large"),
    Case("bookings: NUL character in purpose", RA, "post", f"{V}/bookings/", lambda w: booking(w, purpose="a\x00b")),
    # QASM
    Case("jobs: QASM over the size limit", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm=BELL + "//" + "x" * MAX_SOURCE_CHARS), says="200000"),
    Case("jobs: QASM with too many operations", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm=HEADER + "h q[0];\nmeasure q[0] -> c[0];\n" * 6000), says="operations"),
    Case("jobs: binary QASM", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm="\x00\x01\x02\xff\xfe" * 100)),
    Case("jobs: binary-looking QASM without NUL", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm="".join(chr(c) for c in range(1, 256)) * 4), says="binary"),
    Case("jobs: deeply nested QASM expression", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm=nested_qasm(50_000)), says="nested"),
    Case("jobs: deeply nested QASM 3 expression", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm="OPENQASM 3.0;\nqubit[1] q;\nbit[1] c;\nrx(" + "(" * 20_000 + "0.1" + ")" * 20_000 + ") q[0];\nc[0] = measure q[0];\n"), says="nested"),
    Case("jobs: empty QASM", RA, "post", f"{V}/jobs/", lambda w: job(w, qasm="")),
    # uploads
    Case("documents: over 25 MB", PO, "post", f"{V}/procurement/documents/", multipart=document("big.pdf", PDF_BYTES + b"0" * (25 * MB)), statuses=(413,), says="25 MB"),
    Case("documents: empty file", PO, "post", f"{V}/procurement/documents/", multipart=document("empty.pdf", b""), says="empty"),
    Case("documents: PNG bytes named .pdf", PO, "post", f"{V}/procurement/documents/", multipart=document("scan.pdf", PNG_BYTES), says="does not match"),
    Case("documents: executable", PO, "post", f"{V}/procurement/documents/", multipart=document("setup.exe", b"MZ\x90\x00"), says="not accepted"),
    Case("documents: no extension", PO, "post", f"{V}/procurement/documents/", multipart=document("README", b"hello"), says="not accepted"),
    Case("documents: JSON instead of a file", PO, "post", f"{V}/procurement/documents/", lambda w: {"process": w.process.pk, "stage": "contract", "document_type": "contractSigned", "title": "T", "file": "JVBERi0xLjQ="}, statuses=(415,), says="unsupported media type"),
    Case("request body over the upload limit", RA, "post", f"{V}/bookings/", raw=b'{"purpose": "' + b"x" * (27 * MB) + b'"}', statuses=(413,), says="too large"),
    Case("bookings: multipart body", RA, "post", f"{V}/bookings/", multipart=document("a.pdf", PDF_BYTES), statuses=(415,), says="unsupported media type"),
    Case("bookings: form-encoded body", RA, "post", f"{V}/bookings/", raw=b"backend=1&project=2", content_type="application/x-www-form-urlencoded", statuses=(415,), says="unsupported media type"),
    # lone surrogates and absurd nesting in bodies the schema does not describe field by field (every field of every
    # write endpoint is tried below, from the schema)
    Case("reports: lone surrogate in params", RA, "post", f"{V}/reports/", lambda w: usage_report(w, time_zone="\ud800"), says="surrogate"),
    Case("reports: lone surrogate in a params key", RA, "post", f"{V}/reports/", lambda w: {"kind": "project_usage", "params": {"\udfff": 1}}, says="surrogate"),
    Case("jobs: lone surrogate in a batch circuit", RA, "post", f"{V}/jobs/", lambda w: {**job(w), "qasm": None, "circuits": [{"qasm": BELL, "name": "a\ud800b"}]}, says="surrogate"),
    Case("bookings: lone low surrogate after a pair", RA, "post", f"{V}/bookings/", lambda w: booking(w, purpose="\U0001f600\udc00"), says="surrogate"),
    Case("reports: params nested 1 000 deep", RA, "post", f"{V}/reports/", raw=b'{"kind": "utilization", "params": ' + b"[" * 1000 + b"]" * 1000 + b"}", says="nested"),
    Case("bookings: body nested 100 000 deep", RA, "post", f"{V}/bookings/", raw=b"[" * 100_000 + b"]" * 100_000, says="nested"),
    Case("bookings: objects nested 1 000 deep", RA, "post", f"{V}/bookings/", raw=b'{"a": ' * 1000 + b"1" + b"}" * 1000, says="nested"),
]
# fmt: on


class _Pks(dict[str, Any]):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def __missing__(self, key: str) -> int:
        return int(self.world.objects[key].pk)


def _send(client: APIClient, case: Case, w: World) -> Any:
    url = case.url.format_map(_Pks(w))
    method = getattr(client, case.method)
    if case.multipart is not None:
        return method(url, case.multipart(w), format="multipart")
    if case.raw is not None:
        raw = case.raw(w) if callable(case.raw) else case.raw
        return client.generic(case.method.upper(), url, raw, content_type=case.content_type)
    if case.body is None:
        return method(url)
    body = case.body(w) if callable(case.body) else case.body
    return method(url, data=json.dumps(body), content_type="application/json")


def _messages(value: Any) -> list[str]:
    """Every human-readable string in an error body."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [m for key, item in value.items() if key != "code" for m in _messages(item)]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    return []


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(world: World, case: Case) -> None:
    client = world.client(case.role)
    before = db_snapshot()
    response = _send(client, case, world)
    after = db_snapshot()
    body = response.content.decode(errors="replace")[:300]
    assert response.status_code in case.statuses, f"{response.status_code}: {body}"
    assert response["Content-Type"].startswith("application/json"), body
    messages = _messages(response.json())
    assert messages, body
    assert all(m.strip() for m in messages), body
    if case.says:
        assert any(case.says.lower() in m.lower() for m in messages), body
    changed = {table for table in before if before[table] != after[table]}
    assert not changed, f"tables changed: {sorted(changed)}"


def raw_multipart(fields: dict[str, Any], file_name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body whose file name is sent exactly as given (Django's test client would trim the path)."""
    boundary = "qfr-boundary-7d1c"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "notes/../x.pdf", "/etc/x.pdf"])
def test_a_path_in_an_upload_name_is_refused_and_nothing_stored(world: World, name: str) -> None:
    """An upload name with folders answers 400 with a clear message; nothing is stored."""
    client = world.client(PO)
    fields = {k: v for k, v in document(name, PDF_BYTES)(world).items() if k != "file"}
    body, content_type = raw_multipart(fields, name, PDF_BYTES)
    before = db_snapshot()
    response = client.generic("POST", f"{V}/procurement/documents/", body, content_type=content_type)
    assert response.status_code == 400, response.json()
    assert "not allowed" in response.json()["detail"]
    assert db_snapshot() == before


def test_a_plain_upload_name_in_a_raw_multipart_body_is_accepted(world: World) -> None:
    """The same raw body with a plain name is stored: the refusal above is about the name alone."""
    client = world.client(PO)
    fields = {k: v for k, v in document("passwd.pdf", PDF_BYTES)(world).items() if k != "file"}
    body, content_type = raw_multipart(fields, "passwd.pdf", PDF_BYTES)
    response = client.generic("POST", f"{V}/procurement/documents/", body, content_type=content_type)
    assert response.status_code == 201, response.json()


# --- Every write endpoint, from the schema: lone surrogates and absurd nesting ----------------------------------------
# A lone surrogate (`"\ud800"`) in a string field used to be echoed into the error message, which could then not be
# encoded (a 500), and JSON nested 1 000 deep raised RecursionError. The JSON parser refuses both with a 400 before
# any serializer sees them. The operations and their string fields come from the OpenAPI schema, so a new endpoint
# or field is tried without a change here. The superuser sends them, so that no permission check answers first.

WRITE_OPERATIONS = write_operations_with_body()
SURROGATE_CASES = [(operation, path) for operation in WRITE_OPERATIONS for path in string_fields(operation)]
SURROGATE_IDS = [f"{operation.label} {'.'.join(map(str, path))}" for operation, path in SURROGATE_CASES]


def _refused_by_the_parser(w: World, operation: Operation, raw: bytes, says: str) -> None:
    before = db_snapshot()
    response = w.client(ROOT).generic(operation.method.upper(), operation.url(w), raw, content_type="application/json")
    text = response.content.decode(errors="replace")[:300]
    assert response["Content-Type"] == "application/json", text
    body = response.json()
    if "application/json" in operation.body_types:
        assert response.status_code == 400, text
        assert body["code"] == "parse_error", text
        assert says in body["detail"], text
    else:  # the document upload takes multipart only
        assert response.status_code == 415, text
    assert db_snapshot() == before


def test_the_schema_driven_cases_cover_every_write_endpoint() -> None:
    """Nothing is left out silently: every write operation with a body has string fields to try (the count of
    field/endpoint pairs only grows with the API)."""
    assert len(WRITE_OPERATIONS) >= 58
    assert {operation for operation, _ in SURROGATE_CASES} == set(WRITE_OPERATIONS)
    assert len(SURROGATE_CASES) >= 300


@pytest.mark.parametrize(("operation", "field"), SURROGATE_CASES, ids=SURROGATE_IDS)
def test_a_lone_surrogate_in_any_string_field_answers_400(world: World, operation: Operation, field: tuple) -> None:
    raw = json.dumps(body_with(field, "\ud800")).encode()  # ensure_ascii: the surrogate travels as `\ud800`
    assert b"\\ud800" in raw
    _refused_by_the_parser(world, operation, raw, "lone surrogate (\\ud800)")


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("operation", WRITE_OPERATIONS, ids=[operation.label for operation in WRITE_OPERATIONS])
def test_json_nested_absurdly_deep_answers_400(world: World, operation: Operation, depth: int) -> None:
    name = str(string_fields(operation)[0][0]).encode()
    raw = b'{"' + name + b'": ' + b"[" * depth + b"]" * depth + b"}"
    _refused_by_the_parser(world, operation, raw, "nested more than 32 levels")


@pytest.mark.parametrize(("depth", "refused"), [(32, False), (33, True)])
def test_the_nesting_limit_is_32_levels(world: World, depth: int, refused: bool) -> None:
    """32 levels reach the serializer (which wants an object here); 33 are refused by the parser."""
    raw = b"[" * depth + b"]" * depth
    response = world.client(RA).post(f"{V}/bookings/", raw, content_type="application/json")
    assert response.status_code == 400
    assert ("nested more than 32 levels" in json.dumps(response.json())) is refused, response.json()


def test_a_valid_surrogate_pair_is_text_and_accepted(world: World) -> None:
    """An escaped pair (`\ud83d\ude00`) is one character, not a lone surrogate: it is stored as sent."""
    body = {**booking(world), "purpose": "\U0001f600 calibration run"}
    response = world.client(RA).post(f"{V}/bookings/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["purpose"] == "\U0001f600 calibration run"


GET_OPERATIONS = [
    Operation("get", path, spec)
    for path, item in api_schema()["paths"].items()
    for method, spec in item.items()
    if method == "get" and any(p["in"] == "query" for p in spec.get("parameters", []))
]


@pytest.mark.parametrize("operation", GET_OPERATIONS, ids=[operation.label for operation in GET_OPERATIONS])
def test_a_lone_surrogate_percent_encoded_in_the_query_never_fails(world: World, operation: Operation) -> None:
    """`%ED%A0%80` is a surrogate encoded as UTF-8, which no UTF-8 decoder accepts: Django decodes it to U+FFFD, so
    no surrogate reaches the code through a query; every filter and parameter still answers without a 500."""
    names = [p["name"] for p in operation.spec["parameters"] if p["in"] == "query"]
    query = "&".join(f"{name}=%ED%A0%80" for name in names)
    response = world.client(ROOT).get(f"{operation.url(world)}?{query}")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json"
    assert "\ud800" not in response.content.decode("utf-8", errors="surrogatepass")


def test_surrogate_bytes_in_an_upload_form_field_are_never_stored(world: World, tmp_path: Any) -> None:
    """Multipart fields are bytes: a surrogate's UTF-8 bytes (ED A0 80) are not UTF-8, and decode to U+FFFD."""
    from django.test import override_settings

    fields = {k: v for k, v in document("a.pdf", PDF_BYTES)(world).items() if k not in {"file", "title"}}
    raw, content_type = raw_multipart(fields, "a.pdf", PDF_BYTES)
    title = b'--qfr-boundary-7d1c\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\xed\xa0\x80\r\n'
    with override_settings(MEDIA_ROOT=tmp_path):
        response = world.client(PO).generic(
            "POST", f"{V}/procurement/documents/", title + raw, content_type=content_type
        )
    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 201:
        assert response.json()["title"] == "T\ufffd\ufffd\ufffd"
