"""What the stage services share: status guards, field checks, saving with history and locks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from procurement.choices import ProcessStatus
from procurement.models import ContractingProcess
from procurement.services.history import history_diff, history_record, history_snapshot
from procurement.services.workflow import TERMINAL

S = ProcessStatus


def refuse_closed(process: ContractingProcess) -> None:
    """A closed (cancelled, unsuccessful, completed) process keeps its records read-only."""
    if process.status in TERMINAL:
        raise DomainError(
            _("The contracting process is %(status)s; its records are read-only.") % {"status": process.status},
            code="invalid_transition",
            allowed=[],
        )


def require_status(process: ContractingProcess, statuses: Iterable[str], what: str) -> None:
    """Refuse a step the process's current status does not allow (`invalid_transition`)."""
    statuses = list(statuses)
    if process.status not in statuses:
        raise DomainError(
            _("%(what)s is not possible while the process is %(status)s (needs %(needed)s).")
            % {"what": what, "status": process.status, "needed": ", ".join(statuses)},
            code="invalid_transition",
            allowed=[],
        )


def check_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse any field name that is not in `allowed` (nothing is changed)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def locked_change_refuse(
    obj: Any, columns: Mapping[str, Any], *, locked: frozenset[str], unreadable: Iterable[str] = ()
) -> None:
    """Refuse (`amendment_required`) a change to a locked field of `obj` before anything checks the new value.

    `columns` are new values; `unreadable` names fields whose new value could not even be read, so it differs from
    the stored one. Why first: an officer changing a signed contract's value must be sent to an amendment, not told
    that the value is wrong.
    """
    changed = {name for name, value in columns.items() if getattr(obj, name) != value}
    blocked = sorted((changed | set(unreadable)) & locked)
    if blocked:
        raise DomainError(
            _("These fields are locked; change them through an amendment: %(fields)s") % {"fields": ", ".join(blocked)},
            code="amendment_required",
            fields=blocked,
        )


def save_changes(
    obj: Any, columns: Mapping[str, Any], *, process: ContractingProcess, user: User | None, locked: frozenset[str]
) -> dict[str, tuple[Any, Any]]:
    """Apply `columns` to `obj`; a change to a locked field raises `amendment_required` and saves nothing."""
    before = history_snapshot(obj, columns)
    for key, value in columns.items():
        setattr(obj, key, value)
    changes = history_diff(before, history_snapshot(obj, columns))
    locked_change_refuse(obj, {}, locked=locked, unreadable=changes)
    if changes:
        obj.full_clean()
        obj.save()
        history_record(process=process, user=user, obj=obj, action="update", changes=changes)
    return changes
