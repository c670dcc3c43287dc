"""Error codes are declared by the app that raises them, each with one status."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.errors import ERROR_STATUS, DomainError, error_codes_declare


def test_each_app_declares_the_codes_it_raises():
    assert ERROR_STATUS["booking_conflict"] == 409  # scheduling.errors
    assert ERROR_STATUS["amendment_required"] == 409  # procurement.errors
    assert ERROR_STATUS["office_has_open_work_orders"] == 409  # facility.errors
    assert ERROR_STATUS["report_not_ready"] == 409  # reports.errors
    assert DomainError("x", code="policy_violation").status_code == 400


def test_a_code_declared_twice_with_another_status_is_refused():
    before = dict(ERROR_STATUS)
    with pytest.raises(ImproperlyConfigured, match="booking_conflict"):
        error_codes_declare({"booking_conflict": 400})
    assert before == ERROR_STATUS
    error_codes_declare({"booking_conflict": 409})  # the same status again is fine
    assert before == ERROR_STATUS
