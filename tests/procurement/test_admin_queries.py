"""Query counts of the procurement admin's pages and actions, pinned (they may go down, never up); each measured
with Django's content-type cache cold."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from procurement import services
from procurement.models import ExchangeRate
from tests.support import eur

pytestmark = pytest.mark.django_db

# Changelist and add page of each model (None: no add page), with three processes at different stages.
PAGES = {
    "contractingprocess": (7, 5),
    "tender": (7, 6),
    "bid": (7, 6),
    "award": (7, 6),
    "contract": (8, 6),
    "milestone": (7, 6),
    "payment": (7, 7),
    "amendment": (7, 7),
    "document": (7, 7),
    "exchangerate": (7, 5),
    "ocdsrelease": (7, None),
    "changerecord": (7, None),
}
# Change page of a record of the contracted process (its contract not yet signed), of the completed one, or of the
# one in implementation.
CHANGE_PAGES = {
    ("contractingprocess", "done"): 24,
    ("contractingprocess", "built"): 25,
    ("tender", "built"): 8,
    ("bid", "built"): 8,
    ("award", "built"): 8,
    ("contract", "built"): 10,
    ("milestone", "built"): 7,
    ("payment", "done"): 10,
    ("amendment", "running"): 8,
    ("document", "running"): 8,
    ("exchangerate", "running"): 6,
}
SIGN_QUERIES = 43
TRANSITION_QUERIES = 43


@pytest.fixture
def officer(client, procurement_officer):
    client.force_login(procurement_officer)
    return client


def get(client, url):
    """GET with the content-type cache cold, so a count does not depend on which test ran before."""
    ContentType.objects.clear_cache()
    return client.get(url)


@pytest.fixture
def world(build_process, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = {"done": build_process("completed"), "built": build_process("contracted", sign=False)}
    build_process("tender")
    # A process in implementation with an amendment of its signed contract, a document and the day's exchange rate.
    running = world["running"] = build_process("implementation")
    running.objects["amendment"] = services.amendment_create(
        user=running.user, rationale="Two more training days", contract=running.contract, value_change=eur("50000.00")
    )
    running.objects["document"] = services.document_create(
        process=running.process,
        user=running.user,
        file=SimpleUploadedFile("contract.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        stage="contract",
        document_type="contractSigned",
        title="Signed contract",
    )
    running.objects["exchangerate"] = ExchangeRate.objects.get()
    return world


def test_changelist_add_and_change_page_queries_are_pinned(officer, world, django_assert_num_queries):
    for model, (listed, added) in PAGES.items():
        with django_assert_num_queries(listed):
            assert get(officer, reverse(f"admin:procurement_{model}_changelist")).status_code == 200
        if added is not None:
            with django_assert_num_queries(added):
                assert get(officer, reverse(f"admin:procurement_{model}_add")).status_code == 200
    for (model, which), count in CHANGE_PAGES.items():
        built = world[which]
        obj = built.process if model == "contractingprocess" else getattr(built, model)
        with django_assert_num_queries(count):
            assert get(officer, reverse(f"admin:procurement_{model}_change", args=[obj.pk])).status_code == 200


def test_changelists_do_not_grow_with_rows(officer, world, build_process, django_assert_num_queries):
    build_process("completed")
    build_process("evaluation")
    for model, (listed, _added) in PAGES.items():
        with django_assert_num_queries(listed):
            assert get(officer, reverse(f"admin:procurement_{model}_changelist")).status_code == 200


def test_sign_and_transition_actions_are_pinned(officer, world, django_assert_num_queries):
    built = world["built"]
    ContentType.objects.clear_cache()
    with django_assert_num_queries(SIGN_QUERIES):
        url = reverse("admin:procurement_contract_sign", args=[built.contract.pk])
        assert officer.post(url, {"signed_on": "2024-03-20"}).status_code == 302
    ContentType.objects.clear_cache()
    with django_assert_num_queries(TRANSITION_QUERIES):
        url = reverse("admin:procurement_contractingprocess_transition", args=[built.process.pk])
        assert officer.post(url, {"to": "implementation"}).status_code == 302
    built.process.refresh_from_db()
    assert built.process.status == "implementation"
