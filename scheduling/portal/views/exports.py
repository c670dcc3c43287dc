"""Exports of the viewer's data: the jobs list as CSV (the page's filters); a job's results (every circuit of a batch)
as one JSON or as CSV rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.choices import JobStatus
from scheduling.models import Job, JobCircuit
from scheduling.portal.exports import csv_response, file_response
from scheduling.portal.views.base import PortalView
from scheduling.portal.views.jobs import job_list_filtered
from scheduling.selectors.jobs import job_circuit_results, job_get_visible

JOB_COLUMNS = [
    "id",
    "name",
    "project",
    "backend",
    "submitted_by",
    "status",
    "error_code",
    "shots",
    "seed",
    "submitted_at",
    "started_at",
    "finished_at",
    "estimated_qpu_seconds",
    "qpu_seconds",
    "depth",
    "prx",
    "cz",
]


def _job_row(job: Job) -> list[Any]:
    return [
        job.pk,
        job.name,
        job.project.code,
        job.backend.name,
        job.user.username,
        job.status,
        job.error_code,
        job.shots,
        job.seed,
        job.submitted_at,
        job.started_at,
        job.finished_at,
        job.estimated_qpu_seconds,
        job.qpu_seconds,
        job.depth,
        job.prx_count,
        job.cz_count,
    ]


class JobExportView(PortalView):
    """The jobs of the jobs page (same status filter) as one CSV file, times in the viewer's time zone."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        jobs, status = job_list_filtered(user=self.user, query=request.GET)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"jobs-{status}-{stamp}.csv" if status else f"jobs-{stamp}.csv"
        return csv_response(filename, JOB_COLUMNS, (_job_row(job) for job in jobs.iterator(chunk_size=1000)))


def job_result_data(job: Job, circuits: list[JobCircuit]) -> dict[str, Any]:
    """A completed job's result as the API's `result` shows it (`counts` the first circuit's, `results` every
    circuit's), with the job's identity around it: one file for a whole batch."""
    return {
        "job": job.pk,
        "name": job.name,
        "project": job.project.code,
        "backend": job.backend.name,
        "shots": job.shots,
        "seed": job.seed,
        "calibration": job.calibration_id,
        "qpu_seconds": job.qpu_seconds,
        "transpiled": {"depth": job.depth, "prx": job.prx_count, "cz": job.cz_count},
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "counts": dict(sorted((job.counts or {}).items())),
        "results": [
            {"index": c.index, "name": c.name, "seed": c.seed, "counts": dict(sorted((c.counts or {}).items()))}
            for c in circuits
        ],
    }


def _count_rows(circuits: list[JobCircuit]) -> Iterator[list[Any]]:
    for circuit in circuits:
        counts = circuit.counts or {}
        total = sum(counts.values()) or 1
        for outcome, count in sorted(counts.items()):
            yield [circuit.index, circuit.name, outcome, count, f"{count / total:.6f}"]


class JobResultsView(PortalView):
    """A completed job's results: JSON (shots, seed, calibration, QPU time, every circuit's counts) or CSV rows
    (`circuit,name,outcome,count,share`); 409 `job_not_finished` before it completed, as the API answers."""

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        job = job_get_visible(user=self.user, job_id=pk)
        if fmt not in ("json", "csv"):
            raise Http404
        if job.status != JobStatus.COMPLETED:
            detail = _("The job has no result: it is %(status)s.") % {"status": job.get_status_display()}
            return JsonResponse({"detail": detail, "code": "job_not_finished", "status": job.status}, status=409)
        circuits = job_circuit_results(job=job)
        stem = f"job-{job.pk}-results"
        if fmt == "json":
            content = json.dumps(job_result_data(job, circuits), ensure_ascii=False, indent=2).encode("utf-8")
            return file_response(f"{stem}.json", content, "application/json")
        return csv_response(f"{stem}.csv", ["circuit", "name", "outcome", "count", "share"], _count_rows(circuits))
