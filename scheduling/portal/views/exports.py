"""Exports of the viewer's data: the jobs list as CSV (the page's filters), one job's counts as JSON or CSV."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.choices import JobStatus
from scheduling.models import Job
from scheduling.portal.exports import csv_response, file_response
from scheduling.portal.views.base import PortalView
from scheduling.portal.views.jobs import job_list_filtered
from scheduling.selectors.jobs import job_get_visible

JOB_COLUMNS = [
    "id",
    "name",
    "project",
    "backend",
    "submitted_by",
    "status",
    "cancel_reason",
    "shots",
    "seed",
    "submitted_at",
    "started_at",
    "finished_at",
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
        job.cancel_reason or "",
        job.shots,
        job.seed,
        job.submitted_at,
        job.started_at,
        job.finished_at,
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


def job_result_data(job: Job) -> dict[str, Any]:
    """A completed job's result as the API's `result` shows it, with the job's identity around it."""
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
    }


class JobCountsView(PortalView):
    """A completed job's counts as JSON (with its shots, seed, calibration and QPU time) or as CSV rows
    (`outcome,count,share`); 409 `job_not_finished` before it completed, as the API answers."""

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        job = job_get_visible(user=self.user, job_id=pk)
        if fmt not in ("json", "csv"):
            raise Http404
        if job.status != JobStatus.COMPLETED or job.counts is None:
            detail = _("The job has no result: it is %(status)s.") % {"status": job.get_status_display()}
            return JsonResponse({"detail": detail, "code": "job_not_finished", "status": job.status}, status=409)
        stem = f"job-{job.pk}-counts"
        if fmt == "json":
            content = json.dumps(job_result_data(job), ensure_ascii=False, indent=2).encode("utf-8")
            return file_response(f"{stem}.json", content, "application/json")
        total = sum(job.counts.values()) or 1
        rows = ([outcome, count, f"{count / total:.6f}"] for outcome, count in sorted(job.counts.items()))
        return csv_response(f"{stem}.csv", ["outcome", "count", "share"], rows)
