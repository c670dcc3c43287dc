"""Demo data of the facility app: the organisations of the story."""

from __future__ import annotations

from collections.abc import Callable

from facility.choices import OrganizationKind
from facility.models import Organization

ILLUSTRATIVE = "Illustrative demo record."


def _organization(name: str, **fields: object) -> Organization:
    org, _ = Organization.objects.get_or_create(name=name, defaults=fields)
    return org


def seed(log: Callable[[str], object]) -> None:
    """The university and its research centre, the procurement agency and the vendor."""
    cbnu = _organization(
        "Chungbuk National University",
        short_name="CBNU",
        kind=OrganizationKind.UNIVERSITY,
        country="KR",
    )
    _organization(
        "ChungBuk Quantum Research Center",
        short_name="CBQRC",
        kind=OrganizationKind.RESEARCH_CENTRE,
        country="KR",
        parent=cbnu,
    )
    _organization(
        "Public Procurement Service",
        short_name="PPS",
        kind=OrganizationKind.GOVERNMENT,
        country="KR",
    )
    _organization(
        "IQM Quantum Computers",
        short_name="IQM",
        kind=OrganizationKind.VENDOR,
        country="FI",
    )
    log("Organisations of the story are in place.")
