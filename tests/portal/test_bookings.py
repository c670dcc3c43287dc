"""Booking pages: the preview step, rule violations next to their field, cancellation with its consequence."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.choices import BookingStatus
from scheduling.models import Booking
from tests.factories import BookingFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db

URL = "/portal/bookings/new/"


def form_data(backend, project, start, minutes=60, **extra):
    local = timezone.localtime(start, timezone.get_default_timezone())
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo("Asia/Seoul"))
    return {
        "backend": backend.pk,
        "project": project.pk,
        "start": local.strftime("%Y-%m-%dT%H:%M"),
        "duration": minutes,
        "purpose": "",
        **extra,
    }


def test_preview_shows_cost_and_cancellation_deadline_and_books_nothing(portal_client, backend, project):
    start = next_slot(72)
    response = portal_client.post(URL, form_data(backend, project, start, minutes=90))
    page = response.content.decode()
    assert response.status_code == 200
    assert "1.50 hours" in page
    deadline = (start - datetime.timedelta(hours=24)).astimezone(datetime.UTC)
    assert timezone.localtime(deadline, timezone.get_current_timezone()).strftime("%H:%M") in page
    assert "Confirm booking" in page
    assert not Booking.objects.exists()


def test_confirm_books_the_slot(portal_client, backend, project, member):
    start = next_slot(72)
    response = portal_client.post(URL, form_data(backend, project, start, step="confirm"))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.user, booking.project, booking.starts_at) == (member, project, start)
    assert booking.status == BookingStatus.CONFIRMED


def test_change_from_preview_keeps_the_values(portal_client, backend, project):
    start = next_slot(72)
    response = portal_client.post(URL, form_data(backend, project, start, step="edit"))
    page = response.content.decode()
    assert "Check availability and cost" in page
    assert start.astimezone(datetime.UTC).astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%dT") in page
    assert not Booking.objects.exists()


def test_taken_slot_shows_the_conflict_next_to_start(portal_client, backend, project, other_project):
    start = next_slot(72)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start)
    response = portal_client.post(URL, form_data(backend, project, start, step="confirm"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_start_error"' in page
    assert "already booked" in page
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert "OTHER-2026-09" not in page
    assert Booking.objects.filter(project=project).count() == 0


def test_exceeding_the_allocation_is_shown_on_the_project(portal_client, backend, project, allocation):
    allocation.hours = Decimal("0.50")
    allocation.save()
    response = portal_client.post(URL, form_data(backend, project, next_slot(72)))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_project_error"' in page
    assert "only 0.50 hours left" in page
    assert not Booking.objects.exists()


def test_misaligned_start_is_a_plain_policy_message(portal_client, backend, project):
    start = next_slot(72) + datetime.timedelta(minutes=5)
    response = portal_client.post(URL, form_data(backend, project, start))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_start_error"' in page
    assert "slot boundaries" in page
    assert not Booking.objects.exists()


def test_project_of_someone_else_is_not_offered(portal_client, backend, other_project):
    response = portal_client.post(URL, form_data(backend, other_project, next_slot(72), step="confirm"))
    assert response.status_code == 400
    assert 'id="id_project_error"' in response.content.decode()
    assert not Booking.objects.exists()


def test_missing_start_is_a_field_error(portal_client, backend, project):
    data = form_data(backend, project, next_slot(72))
    data["start"] = ""
    response = portal_client.post(URL, data)
    assert response.status_code == 400
    assert 'id="id_start_error"' in response.content.decode()


def test_cancel_page_shows_the_refund_then_cancels(portal_client, backend, project, member):
    booking = BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=next_slot(72))
    url = reverse("portal:booking-cancel", args=[booking.pk])
    assert "1.00 hours go back" in portal_client.get(url).content.decode()
    response = portal_client.post(url)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert not booking.late_cancellation


def test_late_cancel_page_warns_the_hours_stay_charged(portal_client, backend, project, member):
    booking = BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=next_slot(3))
    page = portal_client.get(reverse("portal:booking-cancel", args=[booking.pk])).content.decode()
    assert "stay charged" in page


def test_another_projects_booking_is_404(portal_client, backend, other_project):
    booking = BookingFactory(
        charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=next_slot(72)
    )
    url = reverse("portal:booking-cancel", args=[booking.pk])
    assert portal_client.get(url).status_code == 404
    assert portal_client.post(url).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_member_cannot_cancel_a_colleagues_booking(client, backend, project):
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(username="colleague")
    MembershipFactory(project=project, user=colleague)
    booking = BookingFactory(charged=True, backend=backend, project=project, user=project.pi, starts_at=next_slot(72))
    client.force_login(colleague)
    response = client.post(reverse("portal:booking-cancel", args=[booking.pk]))
    assert response.status_code == 409
    assert "principal investigator" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_calendar_shows_others_bookings_only_as_booked(portal_client, backend, project, member, other_project):
    start = next_slot(30)
    BookingFactory(
        charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start, purpose="secret"
    )
    BookingFactory(
        charged=True, backend=backend, project=project, user=member, starts_at=start + datetime.timedelta(hours=2)
    )
    page = portal_client.get(reverse("portal:calendar")).content.decode()
    assert "Booked" in page
    assert "OTHER-2026-09" not in page
    assert "secret" not in page
    assert "CBQRC-2026-01" in page
    assert "block--free" in page


def test_booking_form_posts_need_csrf(member, allocation, backend, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(URL, form_data(backend, project, next_slot(72), step="confirm"))
    assert response.status_code == 403
    assert not Booking.objects.exists()
