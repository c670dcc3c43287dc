"""The researcher portal's usage reports: request a project's usage report for a period (from the Usage page),
follow its status, download its PDF and CSV when ready. Through reports' services and selectors only: the same
rules (who may request, who may see, `report_not_ready`) as the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.models import Report
from reports.selectors import report_get, report_list
from reports.services import report_file_get, report_request
from scheduling.portal.views.base import PortalView
from scheduling.selectors.projects import project_list_for_user

LISTED = 20  # the newest reports shown


class UsageReportForm(forms.Form):
    """A project and a period of whole days, both ends included (the report's `end` is the day after `until`)."""

    project = forms.IntegerField(widget=forms.HiddenInput)
    start = forms.DateField(label=gettext_lazy("From"), input_formats=["%Y-%m-%d"])
    until = forms.DateField(label=gettext_lazy("To"), input_formats=["%Y-%m-%d"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, until = cleaned.get("start"), cleaned.get("until")
        if isinstance(start, dt.date) and isinstance(until, dt.date) and until < start:
            self.add_error("until", _("The last day must not be before the first day."))
        return cleaned


class UsageReportListView(PortalView):
    """The viewer's project usage reports, newest first, with status, progress and downloads; POST requests one."""

    nav = "usage"

    def page(self, form: UsageReportForm | None = None, status: int = 200) -> HttpResponse:
        reports = list(report_list(user=self.user, kind=ReportKind.PROJECT_USAGE).filter(requester=self.user)[:LISTED])
        codes = dict(project_list_for_user(self.user).values_list("pk", "code"))
        rows = [{"report": r, "project": codes.get(r.params.get("project"), "—"), **_period(r)} for r in reports]
        live = any(r.status in (ReportStatus.PENDING, ReportStatus.RUNNING) for r in reports)
        context = {"rows": rows, "form": form, "live": live, "formats": [ReportFormat.PDF, ReportFormat.CSV]}
        return self.render("portal/reports.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UsageReportForm(request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        data = form.cleaned_data
        params = {
            "project": data["project"],
            "start": data["start"].isoformat(),
            "end": (data["until"] + dt.timedelta(days=1)).isoformat(),
            "time_zone": self.user.time_zone,
        }
        try:
            report = report_request(kind=ReportKind.PROJECT_USAGE, params=params, requester=self.user)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error("until" if field == "end" else None if field not in form.fields else field, errors)
            return self.page(form, status=400)
        except (DomainError, PermissionDenied) as exc:
            form.add_error(None, exc.detail if isinstance(exc, DomainError) else str(exc))
            return self.page(form, status=403)
        messages.success(request, _("Report requested. It is listed here and ready in a moment."))
        return HttpResponseRedirect(f"{reverse('portal-reports:list')}#report-{report.pk}")


def _period(report: Report) -> dict[str, Any]:
    """The report's first and last day (its `end` is exclusive)."""
    try:
        start = dt.date.fromisoformat(report.params["start"])
        until = dt.date.fromisoformat(report.params["end"]) - dt.timedelta(days=1)
    except (KeyError, TypeError, ValueError):
        return {"start": None, "until": None}
    return {"start": start, "until": until}


class UsageReportDownloadView(PortalView):
    """A report's PDF or CSV, for whoever may see it (404 otherwise); back to the list while it is not ready."""

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        report = report_get(user=self.user, report_id=pk)
        try:
            file = report_file_get(report=report, fmt=fmt)
        except (DomainError, ValidationError) as exc:
            messages.warning(request, exc.detail if isinstance(exc, DomainError) else " ".join(exc.messages))
            return HttpResponseRedirect(reverse("portal-reports:list"))
        if file.stored is not None:
            return FileResponse(file.stored, as_attachment=True, filename=file.filename, content_type=file.content_type)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file.filename) or ""
        return response
