"""Awards: a supplier chosen for a valid bid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from facility.models import Organization
from procurement.choices import (
    AwardStatus,
    BidStatus,
    ReleaseTag,
)
from procurement.models import (
    Award,
    Bid,
    ContractingProcess,
)
from procurement.money import Money
from procurement.services.common import (
    S,
    require_status,
)
from procurement.services.history import history_created, history_record
from procurement.services.workflow import (
    process_lock,
    release_append,
    release_tag_next,
)


@transaction.atomic
def award_create(
    *,
    process: ContractingProcess,
    user: User | None,
    suppliers: Iterable[Organization],
    value: Money,
    date: dt.datetime | None = None,
    title: str = "",
    published_at: dt.datetime | None = None,
) -> Award:
    """Record an award during evaluation; every supplier needs a valid bid on the tender."""
    process = process_lock(process)
    require_status(process, [S.EVALUATION], _("Recording an award"))
    suppliers = list(suppliers)
    if not suppliers:
        raise ValidationError({"suppliers": [_("An award needs at least one supplier.")]}, code="required")
    valid = set(
        Bid.objects.filter(tender__process=process, status=BidStatus.VALID).values_list("tenderer_id", flat=True)
    )
    missing = [org.name for org in suppliers if org.pk not in valid]
    if missing:
        raise ValidationError(
            {"suppliers": [_("No valid bid from: %(names)s") % {"names": ", ".join(missing)}]}, code="no_valid_bid"
        )
    award = Award(
        process=process,
        title=title,
        value_minor=value.minor,
        value_currency=value.currency,
        date=date or timezone.now(),
        status=AwardStatus.PENDING,
    )
    award.full_clean()
    award.save()
    award.suppliers.set(suppliers)
    history_created(
        process=process, user=user, obj=award, fields=("title", "value_minor", "value_currency", "date", "status")
    )
    history_record(
        process=process,
        user=user,
        obj=award,
        action="create",
        changes={"suppliers": (None, sorted(org.pk for org in suppliers))},
    )
    release_append(
        process=process,
        tags=[release_tag_next(process, ReleaseTag.AWARD, ReleaseTag.AWARD_UPDATE)],
        published_at=published_at,
    )
    return award
