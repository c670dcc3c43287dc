import pytest

from core.models import WorkerHeartbeat
from core.tasks import worker_heartbeat_task
from tests.support import wait_for


@pytest.mark.django_db
def test_heartbeat_service_is_idempotent_per_host():
    worker_heartbeat_task("host-a")
    worker_heartbeat_task("host-a")
    assert WorkerHeartbeat.objects.get(hostname="host-a").beats == 2
    assert WorkerHeartbeat.objects.count() == 1


def test_heartbeat_task_is_acks_late():
    assert worker_heartbeat_task.acks_late is True
    assert worker_heartbeat_task.reject_on_worker_lost is True


@pytest.mark.worker
def test_real_worker_round_trip_through_redis(celery_worker):
    worker_heartbeat_task.delay("redis-round-trip")
    wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="redis-round-trip").exists())
    assert WorkerHeartbeat.objects.get(hostname="redis-round-trip").beats == 1
