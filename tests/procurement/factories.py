import datetime as dt
from decimal import Decimal

import factory

from procurement.models import ExchangeRate
from tests.facility.factories import OrganizationFactory


class ExchangeRateFactory(factory.django.DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("date", "currency")

    date = dt.date(2024, 1, 2)
    currency = "EUR"
    rate_to_krw = Decimal("1450.00")
    source = "test"


__all__ = ["ExchangeRateFactory", "OrganizationFactory"]
