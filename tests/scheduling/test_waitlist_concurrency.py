"""The waitlist under concurrency, on real connections (one per thread): two cancellations with waiting entries
book each freed slot once, an entry spanning two slots freed together is not missed, and a cancellation racing a
new booking for the same time never gives it to two."""

import datetime
import itertools
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, WaitlistStatus
from scheduling.models import Booking
from scheduling.services import allocation_create, backend_create, booking_cancel, membership_add, project_create
from tests.factories import EquipmentFactory, OrganizationFactory, UserFactory
from tests.support import book, next_slot, wait_for_slot

pytestmark = pytest.mark.usefixtures("transactional_db")

ROUNDS = 4
HOUR = datetime.timedelta(hours=1)


def _project(backend, code):
    user = UserFactory(username=f"u-{code.lower()}")
    project = project_create(code=code, title=code, institution=OrganizationFactory(), pi=user)
    membership_add(project=project, user=user, role="pi")
    today = datetime.datetime.now(tz=datetime.UTC).date()
    allocation_create(
        project=project,
        backend=backend,
        hours=Decimal("500"),
        valid_from=today - datetime.timedelta(days=1),
        valid_until=today + datetime.timedelta(days=30),
    )
    return project, user


@pytest.fixture
def world():
    qpu = EquipmentFactory()
    backend = backend_create(name="race", display_name="Race", site=qpu.site, equipment=qpu)
    people = {code: _project(backend, code) for code in ("HOLDER", "FIRST", "SECOND", "THIRD")}
    return backend, people


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once, each in its own thread and database connection; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except Exception as exc:  # the outcome is what the test looks at
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_no_overlap(backend):
    active = list(Booking.objects.filter(backend=backend, status__in=ACTIVE_BOOKING_STATUSES).order_by("starts_at"))
    for before, after in itertools.pairwise(active):
        assert before.ends_at <= after.starts_at, (before, after)


def test_two_cancellations_book_each_freed_slot_once(world):
    backend, people = world
    holder_project, holder = people["HOLDER"]
    for round_ in range(ROUNDS):
        first_slot = next_slot(30 + 24 * round_)
        second_slot = first_slot + HOUR
        held = [book(backend, holder_project, holder, s, s + HOUR) for s in (first_slot, second_slot)]
        entries = {}
        for code in ("FIRST", "SECOND"):  # FIRST joins both waitlists first: it is the oldest on each
            project, user = people[code]
            for slot in (first_slot, second_slot):
                entries[code, slot] = wait_for_slot(backend, project, user, slot, slot + HOUR)
        results = race(*[lambda b=b: booking_cancel(booking=b, by=holder) for b in held])
        assert all(isinstance(r, Booking) for r in results), results
        for (code, _slot), entry in entries.items():
            entry.refresh_from_db()
            assert entry.status == (WaitlistStatus.BOOKED if code == "FIRST" else WaitlistStatus.WAITING)
        for slot in (first_slot, second_slot):
            holders = Booking.objects.filter(backend=backend, starts_at=slot, status__in=ACTIVE_BOOKING_STATUSES)
            assert [b.project.code for b in holders] == ["FIRST"]
    assert_no_overlap(backend)


def test_one_booking_cancelled_twice_at_once_books_its_slot_once(world):
    backend, people = world
    holder_project, holder = people["HOLDER"]
    for round_ in range(ROUNDS):
        slot = next_slot(30 + 24 * round_)
        held = book(backend, holder_project, holder, slot, slot + HOUR)
        first = wait_for_slot(backend, people["FIRST"][0], people["FIRST"][1], slot, slot + HOUR)
        second = wait_for_slot(backend, people["SECOND"][0], people["SECOND"][1], slot, slot + HOUR)
        results = race(*[lambda held=held: booking_cancel(booking=held, by=holder)] * 2)
        assert sorted(type(r).__name__ for r in results) == ["Booking", "DomainError"], results
        assert [r.code for r in results if isinstance(r, DomainError)] == ["not_cancellable"]
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == (WaitlistStatus.BOOKED, WaitlistStatus.WAITING)
        assert Booking.objects.filter(backend=backend, starts_at=slot, status__in=ACTIVE_BOOKING_STATUSES).count() == 1
    assert_no_overlap(backend)


def test_an_entry_spanning_two_slots_freed_at_once_is_booked(world):
    """Each cancellation alone leaves the entry overlapping the other booking; whichever runs second must see the
    first committed (the backend lock is held to the end of the transaction), or the entry would wait forever."""
    backend, people = world
    holder_project, holder = people["HOLDER"]
    for round_ in range(ROUNDS):
        slot = next_slot(30 + 24 * round_)
        held = [book(backend, holder_project, holder, s, s + HOUR) for s in (slot, slot + HOUR)]
        entry = wait_for_slot(backend, people["FIRST"][0], people["FIRST"][1], slot, slot + 2 * HOUR)
        results = race(*[lambda b=b: booking_cancel(booking=b, by=holder) for b in held])
        assert all(isinstance(r, Booking) for r in results), results
        entry.refresh_from_db()
        assert entry.status == WaitlistStatus.BOOKED
        assert (entry.booking.starts_at, entry.booking.ends_at) == (slot, slot + 2 * HOUR)
    assert_no_overlap(backend)


def test_a_cancellation_racing_a_new_booking_gives_the_slot_to_one(world):
    backend, people = world
    holder_project, holder = people["HOLDER"]
    third_project, third = people["THIRD"]
    for round_ in range(ROUNDS):
        slot = next_slot(30 + 24 * round_)
        held = book(backend, holder_project, holder, slot, slot + HOUR)
        entry = wait_for_slot(backend, people["FIRST"][0], people["FIRST"][1], slot, slot + HOUR)
        cancelled, booked = race(
            lambda held=held: booking_cancel(booking=held, by=holder),
            lambda slot=slot: book(backend, third_project, third, slot, slot + HOUR),
        )
        assert isinstance(cancelled, Booking), cancelled
        # The new booking either checked while the cancellation was uncommitted (the slot still held) or after
        # it committed with the entry's booking: the one who waited always gets the slot.
        assert isinstance(booked, DomainError), booked
        assert booked.code == "booking_conflict"
        entry.refresh_from_db()
        assert entry.status == WaitlistStatus.BOOKED
        active = list(Booking.objects.filter(backend=backend, starts_at=slot, status__in=ACTIVE_BOOKING_STATUSES))
        assert active == [entry.booking]
    assert_no_overlap(backend)
    assert not Booking.objects.filter(project=third_project).exists()
