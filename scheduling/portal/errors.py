"""Turn the services' DomainErrors and ValidationErrors into plain-language errors next to form fields."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError

EN_DASH = "\u2013"
# Which form field a policy rule is about.
POLICY_RULE_FIELDS = {
    "slot_alignment": "start",
    "length": "duration",
    "past_start": "start",
    "horizon": "start",
    "max_future_bookings": "project",
    "project_inactive": "project",
}
# Service field names that differ from the form's.
FIELD_ALIASES = {"starts_at": "start", "ends_at": "duration", "end": "duration", "qasm": "qasm"}


def _when(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime.datetime):
        return _("from now on")
    local = timezone.localtime(moment)
    return date_format(local, "D Y-m-d H:i")


def _conflict_times(conflicts: list[dict[str, Any]]) -> str:
    parts = []
    for item in conflicts:
        end = item.get("end")
        end_text = timezone.localtime(parse_datetime(end)).strftime("%H:%M") if isinstance(end, str) else _("ongoing")
        parts.append(f"{_when(item.get('start'))}{EN_DASH}{end_text}")
    return "; ".join(parts)


def domain_error_message(exc: DomainError) -> tuple[str | None, str]:
    """The form field a domain error belongs to (None: the whole form) and a plain-language sentence."""
    extra = exc.extra
    if exc.code == "booking_conflict":
        return "start", _("This time is already booked (%(times)s). Pick a free slot in the calendar.") % {
            "times": _conflict_times(extra.get("conflicts", []))
        }
    if exc.code == "maintenance_conflict":
        return "start", _("The backend is down for maintenance or an outage then (%(times)s). Pick another time.") % {
            "times": _conflict_times(extra.get("conflicts", []))
        }
    if exc.code == "allocation_exceeded":
        return "project", _(
            "This booking needs %(requested)s hours, but the project has only %(remaining)s hours left on this backend."
        ) % {"requested": extra.get("requested_hours"), "remaining": extra.get("remaining_hours")}
    if exc.code == "policy_violation":
        return POLICY_RULE_FIELDS.get(str(extra.get("rule")), "start"), exc.detail
    if exc.code == "not_member":
        return "project", _("You are not a member of this project.")
    if exc.code == "invalid_circuit":
        return "qasm", _("The circuit cannot run on this backend.")
    if exc.code == "exceeds_booking":
        return "shots", exc.detail
    if exc.code == "queue_full":
        return "project", exc.detail
    if exc.code == "no_active_booking":
        return "booking", _(
            "Your project has no booking on this backend in progress or to come. Book time first, then submit."
        )
    return None, exc.detail


def apply_error(form: forms.Form, exc: DomainError | ValidationError) -> None:
    """Attach a service error to the form: next to its field when it names one, else above the form."""
    if isinstance(exc, DomainError):
        field, message = domain_error_message(exc)
        messages = [message]
        if exc.code == "invalid_circuit":
            for issue in exc.extra.get("errors", []):
                line, column = issue.get("line"), issue.get("column")
                if line is not None:
                    messages.append(
                        _("Line %(line)s, column %(column)s: %(message)s")
                        % {"line": line, "column": column if column is not None else "?", "message": issue["message"]}
                    )
                else:
                    messages.append(str(issue.get("message", "")))
        for text in messages:
            form.add_error(field if field in form.fields else None, text)
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = FIELD_ALIASES.get(name, name)
            for text in errors:
                form.add_error(target if target in form.fields else None, text)
    else:
        for text in exc.messages:
            form.add_error(None, text)
    mark = getattr(form, "mark_fields", None)
    if mark is not None:
        mark(form.errors)
