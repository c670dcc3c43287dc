"""Reads about jobs: what a user may see, which booking a job runs in, whether a backend holds its jobs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import Http404

from accounts.models import User
from core.db import JSONArrayAgg
from scheduling.choices import BackendStatus, BookingStatus
from scheduling.models import Backend, Booking, Job, JobCircuit, Membership, Project


def job_list_visible(*, user: User) -> QuerySet[Job]:
    """Jobs the user may read: every job for staff who may view jobs, else the jobs of the user's projects."""
    jobs = Job.objects.all()
    if not (user.is_staff and user.has_perm("scheduling.view_job")):
        jobs = jobs.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
    return jobs.order_by("-submitted_at", "-pk")


def job_list_with_circuits(*, user: User) -> QuerySet[Job]:
    """`job_list_visible`, each job annotated with `circuit_summaries`: a JSON list of its circuits' index, name
    and transpiled stats (no source or counts), gathered in the same query (no query per job)."""
    summaries = (
        JobCircuit.objects.filter(job=OuterRef("pk"))
        .order_by()
        .values("job")
        .annotate(
            all=JSONArrayAgg(JSONObject(index="index", name="name", depth="depth", prx="prx_count", cz="cz_count"))
        )
        .values("all")
    )
    return job_list_visible(user=user).annotate(circuit_summaries=Subquery(summaries, output_field=JSONField()))


def job_circuit_list(*, job: Job) -> list[JobCircuit]:
    """The circuits of a job in order, without source, compiled form or counts (a batch's table)."""
    return list(job.circuits.order_by("index").only("pk", "job_id", "index", "name", "depth", "prx_count", "cz_count"))


def job_circuit_results(*, job: Job) -> list[JobCircuit]:
    """The circuits of a job with their counts, in order (no source, no compiled form)."""
    return list(job.circuits.order_by("index").only("pk", "job_id", "index", "name", "seed", "counts"))


def job_circuit_get(*, job: Job, index: int) -> JobCircuit:
    """One circuit of a job by its index; Http404 if the job has none with it."""
    circuit = job.circuits.filter(index=index).defer("compiled").first()
    if circuit is None:
        raise Http404
    return circuit


def job_get_visible(*, user: User, job_id: int) -> Job:
    """One job the user may read, with its backend, project, user, booking and calibration; Http404 for a job
    outside the user's projects (no existence leak)."""
    related = ("backend", "project", "user", "booking", "calibration")
    job = job_list_visible(user=user).select_related(*related).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def membership_exists(*, project: Project, user: User) -> bool:
    """Whether the user is a member (or the PI) of the project."""
    return Membership.objects.filter(project=project, user=user).exists()


def booking_is_usable_for_jobs(*, booking: Booking, now: datetime) -> bool:
    """A confirmed booking that has not ended: in progress now, or a future one the job waits for."""
    return booking.status == BookingStatus.CONFIRMED and booking.ends_at > now


def booking_get_for_job(*, project: Project, backend: Backend, now: datetime) -> Booking | None:
    """The booking a new job runs in: the one in progress, else the next confirmed one; None if neither."""
    return (
        Booking.objects.filter(project=project, backend=backend, status=BookingStatus.CONFIRMED, ends_at__gt=now)
        .order_by("starts_at", "pk")
        .first()
    )


def backend_holds_jobs(*, backend: Backend, now: datetime) -> bool:
    """Whether queued jobs must wait: an outage is ongoing, or staff took the backend out of service."""
    if backend.status != BackendStatus.ONLINE:
        return True
    return backend.outages.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now), starts_at__lte=now).exists()
