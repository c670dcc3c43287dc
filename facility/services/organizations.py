"""Writes for organisations and sites."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from facility.models import (
    Organization,
    Site,
)
from facility.services.common import assign, field_error, save

ORGANIZATION_FIELDS = frozenset(
    {"name", "short_name", "kind", "country", "identifier_scheme", "identifier", "parent", "notes"}
)
SITE_FIELDS = frozenset({"organization", "name", "address", "city", "country", "time_zone"})


# Organisations and sites


def _organization_check_parent(organization: Organization) -> None:
    """A parent chain may not loop back to the organisation itself."""
    seen: set[int] = set()
    parent = organization.parent
    while parent is not None:
        if organization.pk is not None and parent.pk == organization.pk:
            raise field_error("parent", _("An organisation cannot be its own ancestor."), "cycle")
        if parent.pk in seen:  # a loop above us, already in the data: stop rather than spin
            break
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def organization_create(**fields: Any) -> Organization:
    """Create an organisation (an office or department is a child organisation)."""
    organization = Organization()
    assign(organization, fields, ORGANIZATION_FIELDS)
    _organization_check_parent(organization)
    save(organization)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, **fields: Any) -> Organization:
    """Change an organisation's fields."""
    assign(organization, fields, ORGANIZATION_FIELDS)
    _organization_check_parent(organization)
    save(organization)
    return organization


@transaction.atomic
def site_create(**fields: Any) -> Site:
    """Create a site with its IANA time zone."""
    site = Site()
    assign(site, fields, SITE_FIELDS)
    save(site)
    return site


@transaction.atomic
def site_update(*, site: Site, **fields: Any) -> Site:
    """Change a site's fields."""
    assign(site, fields, SITE_FIELDS)
    save(site)
    return site
