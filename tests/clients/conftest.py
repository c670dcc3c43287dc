"""Fixtures of the client tests: one live site for the session, and per test a researcher with a booking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings

from config.celery import app
from tests.clients.site import LiveSite, Researcher, own_broker_url, researcher_on
from tests.factories import make_backend


@pytest.fixture(scope="session")
def live_site(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveSite]:
    """gunicorn and a real worker on the test database and Redis, for the whole session."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the live site's worker needs Redis (CELERY_BROKER_URL=redis://...)")
    broker_url = own_broker_url(settings.CELERY_BROKER_URL)
    with django_db_blocker.unblock(), app.connection_for_write(broker_url) as conn:
        for queue in ("default", "qpu", "reports"):
            conn.default_channel.queue_purge(queue)
    site = LiveSite(logs=tmp_path_factory.mktemp("live-site"), broker_url=broker_url).start()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def researcher(live_site, transactional_db) -> Researcher:
    """A researcher with a booking in progress on a backend `spark` with the default calibration."""
    return researcher_on(make_backend(name="spark"), live_site.url)


@pytest.fixture
def make_researcher(live_site, transactional_db):
    """More researchers, on any backend (`book=False`: no booking)."""
    return lambda backend, **kwargs: researcher_on(backend, live_site.url, **kwargs)
