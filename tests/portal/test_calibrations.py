"""Calibrations for researchers: the API's time filters, the history page with its charts, one record's page,
the latest values on the booking form, and a job page linking the calibration it ran with."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.portal.charts import Series, line_chart_svg
from scheduling.services import calibration_create, calibration_data_default
from tests.factories import CalibrationRecordFactory, JobFactory, make_backend

pytestmark = pytest.mark.django_db


def record(backend, *, days_ago: float, prx: float = 0.997, t1: float = 36.0):
    qubits, couplers = calibration_data_default(backend)
    for row in qubits:
        row["prx_fidelity"], row["t1_us"] = prx, t1
    return calibration_create(
        backend=backend,
        qubits=qubits,
        couplers=couplers,
        measured_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# ---- API ------------------------------------------------------------------------------------------------------


def test_calibrations_filter_by_backend_and_measured_within_a_period(make_client, member, backend):
    other = make_backend(name="other")
    old, middle, new = (record(backend, days_ago=d) for d in (40, 10, 1))
    client = make_client(member)
    now = timezone.now()

    def ids(**params):
        response = client.get("/api/v1/calibrations/", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    default = backend.calibrations.order_by("pk").first()  # recorded when the backend was made
    assert ids(backend=backend.pk) == [default.pk, new.pk, middle.pk, old.pk]
    assert ids(backend=other.pk) == [other.calibrations.get().pk]
    after = z(now - dt.timedelta(days=20))
    assert ids(backend=backend.pk, measured_after=after) == [default.pk, new.pk, middle.pk]
    before = z(now - dt.timedelta(days=5))
    assert ids(backend=backend.pk, measured_after=after, measured_before=before) == [middle.pk]
    # The bounds: after is inclusive, before exclusive.
    assert ids(backend=backend.pk, measured_after=z(middle.measured_at), measured_before=before) == [middle.pk]
    assert ids(backend=backend.pk, measured_before=z(middle.measured_at), measured_after=after) == []
    assert client.get("/api/v1/calibrations/", {"backend": 999999}).status_code == 400  # unknown, as before


@pytest.mark.parametrize(
    "params",
    [{"measured_after": "yesterday"}, {"measured_before": "2026-13-01T00:00Z"}, {"backend": "spark"}],
)
def test_calibration_filters_refuse_bad_values_with_400(make_client, member, backend, params):
    response = make_client(member).get("/api/v1/calibrations/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_calibration_list_query_count_is_constant(make_client, member, backend, django_assert_num_queries):
    client = make_client(member)
    url = f"/api/v1/calibrations/?backend={backend.pk}&measured_after={z(timezone.now() - dt.timedelta(days=30))}"
    record(backend, days_ago=2)
    with django_assert_num_queries(4):  # token with its user, the backend filter's lookup, count, page
        assert client.get(url).json()["count"] == 2
    for days in range(3, 12):
        record(backend, days_ago=days)
    with django_assert_num_queries(4):
        assert client.get(url).json()["count"] == 11


# ---- portal ---------------------------------------------------------------------------------------------------


def test_history_page_charts_each_qubit_and_coupler_over_the_period(portal_client, backend):
    record(backend, days_ago=20, prx=0.995, t1=30.0)
    latest = record(backend, days_ago=0.5, prx=0.999, t1=41.0)
    page = portal_client.get(reverse("portal:calibration-history"), {"backend": backend.pk, "days": 30})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="linechart"') == 5  # T1, T2, PRX, readout, CZ
    for name in ("QB1", "QB5", "QB1-QB3", "QB3-QB5"):
        assert name in html
    assert "QB1 " in html
    assert "99.90 %" in html  # the latest PRX fidelity in the table
    assert reverse("portal:calibration-detail", args=[latest.pk]) in html
    # A week back, only the latest record and the default calibration remain in the records table.
    week = portal_client.get(reverse("portal:calibration-history"), {"backend": backend.pk, "days": 7})
    assert week.content.decode().count('data-label="Measured"') == 2


def test_history_page_query_count_is_constant(portal_client, backend, django_assert_num_queries):
    url = reverse("portal:calibration-history") + f"?backend={backend.pk}"
    record(backend, days_ago=3)
    with django_assert_num_queries(5):  # session, user, backends (policy, site, equipment), latest, records
        portal_client.get(url)
    for days in range(4, 20):
        record(backend, days_ago=days)
    with django_assert_num_queries(5):
        assert portal_client.get(url).status_code == 200


def test_calibration_page_lists_every_qubit_and_coupler(portal_client, backend, django_assert_num_queries):
    latest = record(backend, days_ago=1, prx=0.9987)
    url = reverse("portal:calibration-detail", args=[latest.pk])
    with django_assert_num_queries(3):  # session, user, the record with its backend
        html = portal_client.get(url).content.decode()
    assert "99.87 %" in html
    assert html.count('<th scope="row">QB') == 5 + 4  # every qubit, then every coupler
    assert '<th scope="row">QB1-QB3</th>' in html
    assert portal_client.get(reverse("portal:calibration-detail", args=[999999])).status_code == 404


def test_booking_form_shows_the_latest_calibration_per_qubit_and_coupler(portal_client, backend):
    record(backend, days_ago=3, prx=0.991)
    record(backend, days_ago=0, prx=0.9975)  # newer than the default calibration the backend was made with
    html = portal_client.get(reverse("portal:booking-create")).content.decode()
    assert "Latest calibration of" in html
    assert html.count("99.75 %") == 5
    assert "99.10 %" not in html
    assert "96.20 %" in html  # CZ of the default calibration's couplers
    assert reverse("portal:calibration-history") in html


def test_job_page_links_the_calibration_it_ran_with(portal_client, backend, project, member):
    used = CalibrationRecordFactory(backend=backend)
    record(backend, days_ago=0)  # a newer one: the job still links the one it ran with
    job = JobFactory(with_result=True, backend=backend, project=project, user=member, calibration=used)
    html = portal_client.get(reverse("portal:job-detail", args=[job.pk])).content.decode()
    assert f'href="{reverse("portal:calibration-detail", args=[used.pk])}"' in html


def test_line_chart_escapes_names_and_spans_the_period():
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=10)
    points = ((start + dt.timedelta(days=1), 30.0), (start + dt.timedelta(days=9), 40.0))
    svg = str(line_chart_svg([Series("<QB1>", points)], label="T1 & co", start=start, end=end, tz=dt.UTC))
    assert "&lt;QB1&gt;" in svg
    assert "<QB1>" not in svg
    assert 'aria-label="T1 &amp; co"' in svg
    assert svg.count("<circle") == 2
    assert "03-01" in svg
    assert "03-11" in svg
    assert str(line_chart_svg([], label="empty", start=start, end=end, tz=dt.UTC)).endswith("</svg>")
