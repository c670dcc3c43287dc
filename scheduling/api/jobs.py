"""REST endpoints of jobs: submit one circuit or a batch, list, read, result and cancel (API.md, /api/v1/jobs/)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Model
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from core.api import ID_FILTER_BOUNDS
from core.errors import DomainError
from core.permissions import AuthenticatedReadWrite
from core.viewsets import ServiceViewSet
from scheduling.choices import JobCancelReason, JobErrorCode, JobStatus
from scheduling.models import MAX_BATCH_CIRCUITS, MAX_SHOTS, Backend, Booking, Job, JobCircuit, Project
from scheduling.selectors.jobs import job_circuit_results, job_list_with_circuits
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
                "circuit": serializers.IntegerField(allow_null=True),
                "line": serializers.IntegerField(allow_null=True),
                "column": serializers.IntegerField(allow_null=True),
                "message": serializers.CharField(),
            },
            many=True,
        ),
    },
)


def transpiled(row: Job | JobCircuit) -> dict[str, int | None]:
    return {"depth": row.depth, "prx": row.prx_count, "cz": row.cz_count}


JOB_CIRCUIT_SCHEMA = inline_serializer(
    "JobCircuitSummary",
    {"index": serializers.IntegerField(), "name": serializers.CharField(), "transpiled": TRANSPILED_SCHEMA},
    many=True,
)


def circuit_summaries(job: Job) -> list[dict[str, Any]]:
    """The job's circuits in order, from the selector's `circuit_summaries` annotation."""
    rows = sorted(getattr(job, "circuit_summaries", None) or [], key=lambda row: row["index"])
    return [
        {
            "index": row["index"],
            "name": row["name"],
            "transpiled": {"depth": row["depth"], "prx": row["prx"], "cz": row["cz"]},
        }
        for row in rows
    ]


class JobOutputSerializer(serializers.ModelSerializer[Job]):
    transpiled = serializers.SerializerMethodField()
    # Declared, not generated: a generated read-only field drops `allow_blank`, and the schema would refuse "".
    cancel_reason = serializers.ChoiceField(choices=JobCancelReason.choices, allow_blank=True, read_only=True)
    error_code = serializers.ChoiceField(choices=JobErrorCode.choices, allow_null=True, read_only=True)
    circuits = serializers.SerializerMethodField()

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
            "error_code",
            "cancel_reason",
            "calibration",
            "transpiled",
            "qpu_seconds",
            "estimated_qpu_seconds",
            "attempts",
            "circuits",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Job) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["error_code"] = instance.error_code or None  # API.md: null unless failed or cancelled
        return data

    @extend_schema_field(TRANSPILED_SCHEMA)
    def get_transpiled(self, job: Job) -> dict[str, int | None]:
        return transpiled(job)

    @extend_schema_field(JOB_CIRCUIT_SCHEMA)
    def get_circuits(self, job: Job) -> list[dict[str, Any]]:
        return circuit_summaries(job)


class JobCircuitInputSerializer(serializers.Serializer[Any]):
    qasm = serializers.CharField(max_length=MAX_SOURCE_CHARS, trim_whitespace=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class JobListCreateInputSerializer(serializers.Serializer[Any]):
    """One circuit (`qasm`) or a batch (`circuits`, 1 to 500); shots per circuit."""

    backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    qasm = serializers.CharField(max_length=MAX_SOURCE_CHARS, trim_whitespace=False, required=False)
    circuits = serializers.ListField(
        child=JobCircuitInputSerializer(), required=False, min_length=1, max_length=MAX_BATCH_CIRCUITS
    )
    shots = serializers.IntegerField(min_value=1, max_value=MAX_SHOTS, default=DEFAULT_SHOTS)
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    booking = serializers.PrimaryKeyRelatedField(queryset=Booking.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("qasm" in attrs) == ("circuits" in attrs):
            raise serializers.ValidationError({"qasm": [_("Give either qasm (one circuit) or circuits (a batch).")]})
        return attrs


class JobCircuitResultSerializer(serializers.ModelSerializer[JobCircuit]):
    counts = serializers.DictField(child=serializers.IntegerField(), allow_null=True)

    class Meta:
        model = JobCircuit
        fields = ["index", "name", "counts", "seed"]


class JobResultOutputSerializer(serializers.Serializer[Any]):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = serializers.SerializerMethodField()
    shots = serializers.IntegerField()
    seed = serializers.IntegerField(allow_null=True)
    calibration = serializers.IntegerField(source="calibration_id", allow_null=True)
    qpu_seconds = serializers.FloatField()
    transpiled = serializers.SerializerMethodField()

    @extend_schema_field(TRANSPILED_SCHEMA)
    def get_transpiled(self, job: Job) -> dict[str, int | None]:
        return transpiled(job)

    @extend_schema_field(JobCircuitResultSerializer(many=True))
    def get_results(self, job: Job) -> list[dict[str, Any]]:
        """Per circuit, in order (the view reads them: `context["results"]`)."""
        return list(JobCircuitResultSerializer(self.context["results"], many=True).data)


class JobFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    # Plain ids: filtering must not cost a query per filter, and an unknown id simply matches nothing.
    backend = django_filters.NumberFilter(field_name="backend_id", **ID_FILTER_BOUNDS)
    project = django_filters.NumberFilter(field_name="project_id", **ID_FILTER_BOUNDS)
    booking = django_filters.NumberFilter(field_name="booking_id", **ID_FILTER_BOUNDS)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["backend", "project", "booking", "status"]


@extend_schema_view(
    create=extend_schema(
        responses={
            201: JobOutputSerializer,
            400: OpenApiResponse(INVALID_CIRCUIT_SCHEMA, description="invalid_circuit, or a field error"),
            403: OpenApiResponse(description="not_member"),
            409: OpenApiResponse(description="no_active_booking, queue_full, exceeds_booking"),
        },
    ),
    retrieve=extend_schema(description="One job of the user's projects, with its circuits."),
)
class JobViewSet(ServiceViewSet):
    """List the jobs of the user's projects (staff: all); submit one circuit or a batch to a backend."""

    permission_classes = [AuthenticatedReadWrite]  # what a user sees and may submit: selector and service
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = JobOutputSerializer
    input_serializer = JobListCreateInputSerializer
    filterset_class = JobFilter
    lookup_url_kwarg = "job_id"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Job.objects.none()
        return job_list_with_circuits(user=authenticated_user(self.request))

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return job_submit(user=authenticated_user(request), **data)

    @extend_schema(
        responses={200: JobResultOutputSerializer, 409: OpenApiResponse(ERROR_SCHEMA, description="job_not_finished")}
    )
    @action(detail=True, methods=["get"])
    def result(self, request: Request, job_id: str) -> Response:
        """The counts (per circuit) and metered QPU time of a completed job; 409 `job_not_finished` before that."""
        job = self.get_object()
        if job.status != JobStatus.COMPLETED:
            raise DomainError(
                _("The job has no result: it is %(status)s.") % {"status": job.get_status_display()},
                code="job_not_finished",
                status=job.status,
            )
        results = job_circuit_results(job=job)
        return Response(JobResultOutputSerializer(job, context={"results": results}).data)

    @extend_schema(
        request=None,
        responses={200: JobOutputSerializer, 409: OpenApiResponse(ERROR_SCHEMA, description="not_cancellable")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, job_id: str) -> Response:
        """Cancel a queued or running job (a running one stops within seconds); 409 `not_cancellable` after."""
        return self.respond(job_cancel(job=self.get_object()))
