"""Writes and workflows of the reports app: request, generate (idempotent), render, deliver, sweep, schedule."""

from reports.kinds import get_kind
from reports.services.files import (
    CONTENT_TYPES,
    FILES_RENDER_DEBOUNCE_S,
    ReportFile,
    report_deliver,
    report_file_get,
    report_files_render,
    report_ids_without_files,
    report_pdf_get,
)
from reports.services.requests import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    TEST_DELAY_ENV,
    report_generate,
    report_kind_clean,
    report_period_previous_month,
    report_request,
    report_request_monthly,
    report_requeue_stale,
)
from reports.services.rollups import job_days_reseal, job_days_seal

__all__ = [
    "CONTENT_TYPES",
    "FILES_RENDER_DEBOUNCE_S",
    "MAX_ATTEMPTS",
    "STALE_AFTER",
    "TEST_DELAY_ENV",
    "ReportFile",
    "get_kind",
    "job_days_reseal",
    "job_days_seal",
    "report_deliver",
    "report_file_get",
    "report_files_render",
    "report_generate",
    "report_ids_without_files",
    "report_kind_clean",
    "report_pdf_get",
    "report_period_previous_month",
    "report_request",
    "report_request_monthly",
    "report_requeue_stale",
]
