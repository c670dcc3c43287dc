"""Backends and their booking policies."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from facility.choices import EquipmentKind
from facility.models import Equipment, Site
from scheduling.models import Backend, BookingPolicy
from scheduling.services.calibrations import calibration_create_default


class PolicyFields(TypedDict, total=False):
    """The booking rules of a backend (DESIGN.md 3.4)."""

    slot_minutes: int
    min_minutes: int
    max_minutes: int
    horizon_days: int
    free_cancel_hours: int
    approval_over_minutes: int | None
    max_future_bookings: int
    max_queued_jobs: int


class BackendDetails(TypedDict, total=False):
    """What `backend_create` takes besides name, display name, site and equipment (unset: the defaults)."""

    qubits: list[str]
    couplers: list[list[str]]
    native_gates: list[str]
    status: str
    prx_ns: int
    cz_ns: int
    readout_ns: int
    rep_delay_us: int
    overhead_s: Decimal


class BackendFields(BackendDetails, total=False):
    """What `backend_update` may change."""

    name: str
    display_name: str
    site: Site
    equipment: Equipment


POLICY_FIELDS = frozenset(PolicyFields.__annotations__)


def _validate_topology(backend: Backend) -> None:
    errors: dict[str, str] = {}
    qubits = backend.qubits
    if not isinstance(qubits, list) or not qubits or not all(isinstance(q, str) and q for q in qubits):
        errors["qubits"] = _("Give a non-empty list of qubit names.")
    elif len(set(qubits)) != len(qubits):
        errors["qubits"] = _("Qubit names must be unique.")
    else:
        couplers = backend.couplers
        if not isinstance(couplers, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and pair[0] != pair[1] and set(pair) <= set(qubits)
            for pair in couplers
        ):
            errors["couplers"] = _("Each coupler is a pair of two different qubits of this backend.")
    gates = backend.native_gates
    if not isinstance(gates, list) or not all(isinstance(g, str) and g for g in gates):
        errors["native_gates"] = _("Give a list of gate names.")
    if backend.equipment_id is not None:
        equipment = backend.equipment
        if equipment.kind != EquipmentKind.QPU:
            errors["equipment"] = _("The equipment must be a QPU.")
        elif backend.site_id is not None and equipment.site_id != backend.site_id:
            errors["equipment"] = _("The QPU must be installed at the backend's site.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def backend_save(*, backend: Backend, policy: PolicyFields | None = None) -> Backend:
    """Save a new or changed backend; a new one gets its default policy and the default calibration."""
    creating = backend.pk is None
    _validate_topology(backend)
    backend.full_clean()
    backend.save()
    if creating:
        policy_obj = BookingPolicy(backend=backend)
        policy_obj.full_clean()
        policy_obj.save()
        calibration_create_default(backend=backend)
    if policy:
        booking_policy_update(backend=backend, **policy)
    return backend


@transaction.atomic
def backend_create(
    *,
    name: str,
    display_name: str,
    site: Site,
    equipment: Equipment,
    policy: PolicyFields | None = None,
    **fields: Unpack[BackendDetails],
) -> Backend:
    """Create a backend (topology and timing default to the 5-qubit star and DESIGN.md's profile)."""
    backend = Backend(name=name, display_name=display_name, site=site, equipment=equipment)
    for key, value in fields.items():
        if value is not None:
            setattr(backend, key, value)
    return backend_save(backend=backend, policy=policy)


@transaction.atomic
def backend_update(*, backend: Backend, policy: PolicyFields | None = None, **fields: Unpack[BackendFields]) -> Backend:
    """Change a backend's fields and, optionally, its booking policy."""
    for key, value in fields.items():
        setattr(backend, key, value)
    return backend_save(backend=backend, policy=policy)


@transaction.atomic
def booking_policy_update(*, backend: Backend, **fields: Unpack[PolicyFields]) -> BookingPolicy:
    """Change the booking rules of a backend (applies to bookings made from now on)."""
    policy, _created = BookingPolicy.objects.get_or_create(backend=backend)
    for key, value in fields.items():
        if key not in POLICY_FIELDS:
            raise ValidationError({key: _("Unknown policy field.")})
        setattr(policy, key, value)
    policy.full_clean()
    policy.save()
    return policy
