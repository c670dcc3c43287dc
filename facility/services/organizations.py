"""Writes for organisations and sites."""

from __future__ import annotations

from typing import TypedDict, Unpack

from django.db import transaction
from django.utils.translation import gettext as _

from facility.models import (
    Organization,
    Site,
)
from facility.services.common import assign, field_error, save


class OrganizationFields(TypedDict, total=False):
    """The fields `organization_create` and `organization_update` take (the model checks what is required)."""

    name: str
    short_name: str
    kind: str
    country: str
    identifier_scheme: str
    identifier: str
    parent: Organization | None
    notes: str


class SiteFields(TypedDict, total=False):
    """The fields `site_create` and `site_update` take."""

    organization: Organization
    name: str
    address: str
    city: str
    country: str
    time_zone: str


ORGANIZATION_FIELDS = frozenset(OrganizationFields.__annotations__)
SITE_FIELDS = frozenset(SiteFields.__annotations__)


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
def organization_create(**fields: Unpack[OrganizationFields]) -> Organization:
    """Create an organisation (an office or department is a child organisation)."""
    organization = Organization()
    assign(organization, fields, ORGANIZATION_FIELDS)
    _organization_check_parent(organization)
    save(organization)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, **fields: Unpack[OrganizationFields]) -> Organization:
    """Change an organisation's fields."""
    assign(organization, fields, ORGANIZATION_FIELDS)
    _organization_check_parent(organization)
    save(organization)
    return organization


@transaction.atomic
def site_create(**fields: Unpack[SiteFields]) -> Site:
    """Create a site with its IANA time zone."""
    site = Site()
    assign(site, fields, SITE_FIELDS)
    save(site)
    return site


@transaction.atomic
def site_update(*, site: Site, **fields: Unpack[SiteFields]) -> Site:
    """Change a site's fields."""
    assign(site, fields, SITE_FIELDS)
    save(site)
    return site
