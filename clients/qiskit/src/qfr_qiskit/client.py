"""A thin client of the site's public REST API (`/api/v1/`), authenticated by token.

Everything a script needs besides running circuits: backends and calibrations, free time, bookings, jobs,
reports. Every refusal of the API raises an `APIError` subclass carrying its `code` and `detail`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from qfr_qiskit.errors import APIError, JobTimeout, NotFound, ServerError, Throttled, error_from_response

API_PREFIX = "api/v1/"
USER_AGENT = "qfr-qiskit/0.1"
# GET requests answered 429 or 503 are retried this often, after the site's Retry-After (or a short pause).
RETRIES = 5
REPORT_FORMATS = ("json", "csv", "pdf")
ID = int | str


def iso(value: dt.datetime | str) -> str:
    """An aware datetime as ISO 8601 with its offset (a string passes through as written)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("use an aware datetime (with a time zone), e.g. datetime.now(timezone.utc)")
    return value.isoformat()


def parse_time(value: str) -> dt.datetime:
    """A time as the API writes it (ISO 8601, `Z` for UTC) as an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class QFRClient:
    """The REST API of one site, as one user (by token).

    `url` is the site's root, e.g. `https://qfr.example.ac.kr`; the API lives under `/api/v1/`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        submit_timeout: float = 600.0,
        session: requests.Session | None = None,
    ) -> None:
        if not token:
            raise ValueError("a token is needed: POST /api/v1/auth/token/ or QFRClient.token_for()")
        self.url = url.rstrip("/") + "/"
        self.api_url = urljoin(self.url, API_PREFIX)
        self.timeout = timeout
        # The site checks and compiles every circuit of a batch before it answers: allow it time.
        self.submit_timeout = submit_timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token {token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        )
        self._backend_ids: dict[str, int] = {}
        self._me: dict[str, Any] | None = None

    # ---- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def token_for(url: str, username: str, password: str, *, timeout: float = 30.0) -> str:
        """Exchange a username and password for the user's API token (`POST /api/v1/auth/token/`)."""
        response = requests.post(
            urljoin(url.rstrip("/") + "/", API_PREFIX + "auth/token/"),
            json={"username": username, "password": password},
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
        body = _json(response)
        if response.status_code != 200:
            raise error_from_response(response.status_code, body, fallback_text=response.text[:200])
        return str(body["token"])

    def _absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.api_url, path.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        raw: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON (or the response itself with `raw`); raise APIError."""
        url = self._absolute(path)
        query = {key: _query_value(value) for key, value in (params or {}).items() if value is not None}
        for attempt in range(RETRIES + 1):
            response = self.session.request(
                method, url, params=query or None, json=json, timeout=timeout or self.timeout
            )
            if response.status_code < 400:
                if raw:
                    return response
                return _json(response) if response.content else None
            error = error_from_response(response.status_code, _json(response), fallback_text=response.text[:200])
            # A throttled request was not processed; an unavailable site processed nothing worth repeating for
            # a read. Writes answered 503 are not retried: the caller decides (the API may have accepted it).
            retry = isinstance(error, Throttled) or (isinstance(error, ServerError) and method == "GET")
            if not retry or attempt == RETRIES:
                raise error
            time.sleep(_retry_after(response, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params: Any) -> Any:
        """GET a path under `/api/v1/` with query parameters."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        """POST JSON to a path under `/api/v1/`."""
        return self.request("POST", path, json=body if body is not None else {})

    def paginate(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following `next` links."""
        params.setdefault("page_size", 200)
        page: Any = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    # ---- who am I, what is there ------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The user behind the token: `id, username, ..., projects: [{"id","code","role"}]`."""
        if self._me is None:
            self._me = self.get("users/me/")
        return self._me

    def project_id(self, project: ID | None = None) -> int:
        """A project's id from its id or code; with None, the user's only project (else ValueError)."""
        if isinstance(project, int):
            return project
        projects = self.me()["projects"]
        if project is None:
            if len(projects) != 1:
                codes = ", ".join(p["code"] for p in projects) or "none"
                raise ValueError(f"name the project (yours: {codes})")
            return int(projects[0]["id"])
        for item in projects:
            if item["code"] == project or str(item["id"]) == project:
                return int(item["id"])
        raise ValueError(f"you are not a member of a project {project!r}")

    def backend_records(self) -> list[dict[str, Any]]:
        """Every backend as the API describes it (qubits, couplers, timing, policy, latest calibration)."""
        records = list(self.paginate("backends/"))
        self._backend_ids.update({record["name"]: int(record["id"]) for record in records})
        return records

    def backend_id(self, backend: ID) -> int:
        """A backend's id from its id or name."""
        if isinstance(backend, int):
            return backend
        if hasattr(backend, "backend_id"):  # a QFRBackend
            return int(backend.backend_id)
        if backend not in self._backend_ids:
            self.backend_records()
        if backend not in self._backend_ids:
            raise NotFound(f"No backend named {backend!r}.", code="not_found", status=404)
        return self._backend_ids[backend]

    def backend_record(self, backend: ID) -> dict[str, Any]:
        """One backend as the API describes it."""
        record: dict[str, Any] = self.get(f"backends/{self.backend_id(backend)}/")
        return record

    def calibrations(
        self,
        backend: ID | None = None,
        *,
        measured_after: dt.datetime | str | None = None,
        measured_before: dt.datetime | str | None = None,
    ) -> list[dict[str, Any]]:
        """Calibration records, newest first, optionally of one backend and within `[after, before)`."""
        return list(
            self.paginate(
                "calibrations/",
                backend=None if backend is None else self.backend_id(backend),
                measured_after=None if measured_after is None else iso(measured_after),
                measured_before=None if measured_before is None else iso(measured_before),
            )
        )

    # ---- free time and bookings ---------------------------------------------------------------------------

    def availability(self, backend: ID, start: dt.datetime | str, end: dt.datetime | str) -> dict[str, Any]:
        """Busy and free intervals of a backend in `[start, end)` (at most 31 days), times as datetimes."""
        body: dict[str, Any] = self.get(
            f"backends/{self.backend_id(backend)}/availability/", start=iso(start), end=iso(end)
        )
        for key in ("busy", "free"):
            for interval in body[key]:
                interval["start"], interval["end"] = parse_time(interval["start"]), parse_time(interval["end"])
        body["start"], body["end"] = parse_time(body["start"]), parse_time(body["end"])
        return body

    def find_free_slot(
        self,
        backend: ID,
        *,
        minutes: int = 15,
        after: dt.datetime | None = None,
        within: dt.timedelta = dt.timedelta(days=7),
    ) -> tuple[dt.datetime, dt.datetime]:
        """The earliest free `[start, end)` of `minutes` on the backend's slot grid, from the slot under way.

        Raises LookupError when nothing is free within `within`.
        """
        record = self.backend_record(backend)
        slot = dt.timedelta(minutes=int((record.get("policy") or {}).get("slot_minutes") or 15))
        now = after or dt.datetime.now(dt.timezone.utc)
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
        start = now - (now - epoch) % slot  # the slot under way may still be booked
        length = dt.timedelta(minutes=minutes)
        for interval in self.availability(backend, start, start + within)["free"]:
            begin = max(interval["start"], start)
            begin += -(begin - epoch) % slot  # up to the next slot boundary
            if begin + length <= interval["end"]:
                return begin, begin + length
        raise LookupError(f"no free {minutes} minutes on {backend} within {within}")

    def book(
        self,
        backend: ID,
        start: dt.datetime | str,
        end: dt.datetime | str,
        *,
        project: ID | None = None,
        purpose: str = "",
    ) -> dict[str, Any]:
        """Book `[start, end)` on a backend for a project (default: the user's only project)."""
        body = {
            "backend": self.backend_id(backend),
            "project": self.project_id(project),
            "start": iso(start),
            "end": iso(end),
            "purpose": purpose,
        }
        booking: dict[str, Any] = self.post("bookings/", body)
        return booking

    def cancel_booking(self, booking: ID, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel a booking (refund rules of the site apply); its queued jobs are cancelled too."""
        result: dict[str, Any] = self.post(f"bookings/{booking}/cancel/", {"reason": reason} if reason else {})
        return result

    def bookings(self, **filters: Any) -> list[dict[str, Any]]:
        """Bookings the user may see; filters as the API's (`backend, project, status, start_after, mine`...)."""
        if "backend" in filters and filters["backend"] is not None:
            filters["backend"] = self.backend_id(filters["backend"])
        return list(self.paginate("bookings/", **filters))

    # ---- jobs --------------------------------------------------------------------------------------------

    def jobs(self, **filters: Any) -> list[dict[str, Any]]:
        """Jobs of the user's projects, newest first; filters `backend, project, booking, status`."""
        if "backend" in filters and filters["backend"] is not None:
            filters["backend"] = self.backend_id(filters["backend"])
        return list(self.paginate("jobs/", **filters))

    def job(self, job_id: ID) -> dict[str, Any]:
        """One job as the API describes it."""
        record: dict[str, Any] = self.get(f"jobs/{job_id}/")
        return record

    def submit_job(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a job body as API.md describes it (`qasm` or `circuits`); the created job."""
        record: dict[str, Any] = self.request("POST", "jobs/", json=body, timeout=self.submit_timeout)
        return record

    def job_result(self, job_id: ID) -> dict[str, Any]:
        """A completed job's result (`counts`, `results`, `shots`, `seed`, `calibration`, `qpu_seconds`)."""
        record: dict[str, Any] = self.get(f"jobs/{job_id}/result/")
        return record

    def cancel_job(self, job_id: ID) -> dict[str, Any]:
        """Cancel a queued or running job; NotCancellable once it finished."""
        record: dict[str, Any] = self.post(f"jobs/{job_id}/cancel/")
        return record

    # ---- reports -----------------------------------------------------------------------------------------

    def request_report(self, kind: str, **params: Any) -> dict[str, Any]:
        """Ask for a report (`utilization`, `project_usage`, ...); it is computed in the background."""
        values = {key: iso(v) if isinstance(v, dt.datetime) else _query_value(v) for key, v in params.items()}
        report: dict[str, Any] = self.post("reports/", {"kind": kind, "params": values})
        return report

    def report(self, report_id: ID) -> dict[str, Any]:
        """One report: its status, progress and (once succeeded) its data."""
        record: dict[str, Any] = self.get(f"reports/{report_id}/")
        return record

    def wait_for_report(self, report_id: ID, *, timeout: float = 300.0, poll: float = 1.0) -> dict[str, Any]:
        """Wait until a report succeeded (returned) or failed (APIError with its error)."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.report(report_id)
            if record["status"] == "succeeded":
                return record
            if record["status"] == "failed":
                raise APIError(record.get("error") or "The report failed.", code="report_failed", status=200)
            if time.monotonic() > deadline:
                raise JobTimeout(f"report {report_id} is still {record['status']} after {timeout} s")
            time.sleep(poll)

    def download_report(self, report_id: ID, *, format: str = "pdf", path: str | Path | None = None) -> bytes | Path:
        """A succeeded report's file as bytes, or written to `path` (a folder takes the site's file name)."""
        if format not in REPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(REPORT_FORMATS)}")
        response = self.request("GET", f"reports/{report_id}/download/", params={"format": format}, raw=True)
        if path is None:
            return bytes(response.content)
        target = Path(path)
        if target.is_dir():
            target = target / _attachment_name(response.headers.get("Content-Disposition", ""), report_id, format)
        target.write_bytes(response.content)
        return target


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _retry_after(response: requests.Response, attempt: int) -> float:
    try:
        return min(float(str(response.headers.get("Retry-After", ""))), 60.0)
    except ValueError:
        return min(0.5 * float(2**attempt), 10.0)


def _attachment_name(disposition: str, report_id: ID, format: str) -> str:
    for part in disposition.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "filename" and value:
            return Path(value.strip('"')).name
    return f"report-{report_id}.{format}"
