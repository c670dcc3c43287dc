"""REST endpoints of jobs: submit, list, read, result and cancel (API.md, scheduling: /api/v1/jobs/)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import authenticated_user
from core.api import ID_FILTER_BOUNDS
from core.errors import DomainError
from scheduling.choices import JobCancelReason, JobStatus
from scheduling.models import MAX_SHOTS, Backend, Booking, Job, Project
from scheduling.selectors.jobs import job_get_visible, job_list_visible
from scheduling.services.jobs import DEFAULT_SHOTS, job_cancel, job_submit
from scheduling.simulator import MAX_SEED, MAX_SOURCE_CHARS

TRANSPILED_SCHEMA = inline_serializer(
    "JobTranspiled",
    {
        "depth": serializers.IntegerField(allow_null=True),
        "prx": serializers.IntegerField(allow_null=True),
        "cz": serializers.IntegerField(allow_null=True),
    },
)
ERROR_SCHEMA = inline_serializer(
    "JobError", {"detail": serializers.CharField(), "code": serializers.CharField(), "status": serializers.CharField()}
)
INVALID_CIRCUIT_SCHEMA = inline_serializer(
    "InvalidCircuitError",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "errors": inline_serializer(
            "CircuitIssue",
            {
                "line": serializers.IntegerField(allow_null=True),
                "column": serializers.IntegerField(allow_null=True),
                "message": serializers.CharField(),
            },
            many=True,
        ),
    },
)


def transpiled(job: Job) -> dict[str, int | None]:
    return {"depth": job.depth, "prx": job.prx_count, "cz": job.cz_count}


class JobOutputSerializer(serializers.ModelSerializer[Job]):
    transpiled = serializers.SerializerMethodField()
    # Declared, not generated: a generated read-only field drops `allow_blank`, and the schema would refuse "".
    cancel_reason = serializers.ChoiceField(choices=JobCancelReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "backend",
            "project",
            "user",
            "booking",
            "name",
            "qasm",
            "shots",
            "seed",
            "status",
            "submitted_at",
            "started_at",
            "finished_at",
            "error",
            "cancel_reason",
            "calibration",
            "transpiled",
            "qpu_seconds",
            "attempts",
        ]
        read_only_fields = fields

    @extend_schema_field(TRANSPILED_SCHEMA)
    def get_transpiled(self, job: Job) -> dict[str, int | None]:
        return transpiled(job)


class JobFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    # Plain ids: filtering must not cost a query per filter, and an unknown id simply matches nothing.
    backend = django_filters.NumberFilter(field_name="backend_id", **ID_FILTER_BOUNDS)
    project = django_filters.NumberFilter(field_name="project_id", **ID_FILTER_BOUNDS)
    booking = django_filters.NumberFilter(field_name="booking_id", **ID_FILTER_BOUNDS)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["backend", "project", "booking", "status"]


class JobListCreateApi(ListAPIView[Job]):
    """List the jobs of the user's projects (staff: all); submit a circuit to a backend."""

    serializer_class = JobOutputSerializer
    filterset_class = JobFilter

    class InputSerializer(serializers.Serializer[Any]):
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
        qasm = serializers.CharField(max_length=MAX_SOURCE_CHARS, trim_whitespace=False)
        shots = serializers.IntegerField(min_value=1, max_value=MAX_SHOTS, default=DEFAULT_SHOTS)
        seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, required=False, allow_null=True)
        name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        booking = serializers.PrimaryKeyRelatedField(queryset=Booking.objects.all(), required=False, allow_null=True)

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Job.objects.none()
        return job_list_visible(user=authenticated_user(self.request))

    @extend_schema(
        request=InputSerializer,
        responses={
            201: JobOutputSerializer,
            400: OpenApiResponse(INVALID_CIRCUIT_SCHEMA, description="invalid_circuit, or a field error"),
            403: OpenApiResponse(description="not_member"),
            409: OpenApiResponse(description="no_active_booking"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_submit(user=authenticated_user(request), **serializer.validated_data)
        return Response(JobOutputSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailApi(APIView):
    """One job of the user's projects."""

    @extend_schema(responses={200: JobOutputSerializer})
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get_visible(user=authenticated_user(request), job_id=job_id)
        return Response(JobOutputSerializer(job).data)


class JobResultApi(APIView):
    """The counts and metered QPU time of a completed job; 409 `job_not_finished` before that."""

    class OutputSerializer(serializers.Serializer[Any]):
        counts = serializers.DictField(child=serializers.IntegerField())
        shots = serializers.IntegerField()
        seed = serializers.IntegerField(allow_null=True)
        calibration = serializers.IntegerField(source="calibration_id", allow_null=True)
        qpu_seconds = serializers.FloatField()
        transpiled = serializers.SerializerMethodField()

        @extend_schema_field(TRANSPILED_SCHEMA)
        def get_transpiled(self, job: Job) -> dict[str, int | None]:
            return transpiled(job)

    @extend_schema(
        responses={200: OutputSerializer, 409: OpenApiResponse(ERROR_SCHEMA, description="job_not_finished")}
    )
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get_visible(user=authenticated_user(request), job_id=job_id)
        if job.status != JobStatus.COMPLETED:
            raise DomainError(
                _("The job has no result: it is %(status)s.") % {"status": job.get_status_display()},
                code="job_not_finished",
                status=job.status,
            )
        return Response(self.OutputSerializer(job).data)


class JobCancelApi(APIView):
    """Cancel a queued job; 409 `not_cancellable` once it runs or has finished."""

    @extend_schema(
        request=None,
        responses={200: JobOutputSerializer, 409: OpenApiResponse(ERROR_SCHEMA, description="not_cancellable")},
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = job_get_visible(user=authenticated_user(request), job_id=job_id)
        return Response(JobOutputSerializer(job_cancel(job=job)).data)


# Mounted by scheduling/api_urls.py under /api/v1/.
job_urlpatterns = [
    path("jobs/", JobListCreateApi.as_view(), name="job-list"),
    path("jobs/<int:job_id>/", JobDetailApi.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/result/", JobResultApi.as_view(), name="job-result"),
    path("jobs/<int:job_id>/cancel/", JobCancelApi.as_view(), name="job-cancel"),
]
