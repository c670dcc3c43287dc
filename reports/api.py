"""REST endpoints of the reports app: request, poll, list and download reports (API.md, reports), one
service-backed ViewSet (CONTRIBUTING.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from accounts.models import User
from core.permissions import AuthenticatedReadWrite
from core.viewsets import ServiceViewSet
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.models import Report
from reports.selectors import report_list, report_list_visible
from reports.services import report_file_get, report_kind_clean, report_request

DOWNLOADS_SCHEMA = {"type": "object", "properties": {f: {"type": "string"} for f in ReportFormat.values}}


class ReportListOutputSerializer(serializers.ModelSerializer[Report]):
    requester: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()
    downloads = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "params",
            "status",
            "progress",
            "requester",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "url",
            "downloads",
        ]

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, report: Report) -> str:
        return self._absolute(reverse("reports:report-detail", kwargs={"pk": report.pk}))

    @extend_schema_field(DOWNLOADS_SCHEMA)
    def get_downloads(self, report: Report) -> dict[str, str]:
        path = reverse("reports:report-download", kwargs={"pk": report.pk})
        return {fmt: self._absolute(f"{path}?format={fmt}") for fmt in ReportFormat.values}


class ReportDetailOutputSerializer(ReportListOutputSerializer):
    # DRF's metaclass moves declared fields off the class, so `Serializer.data` is not shadowed at run time.
    data = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta(ReportListOutputSerializer.Meta):
        fields = [*ReportListOutputSerializer.Meta.fields, "data"]

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})  # null until succeeded
    def get_data(self, report: Report) -> dict[str, Any] | None:
        return report.snapshot if report.is_ready else None


@extend_schema_serializer(component_name="ReportListCreateInput")  # the component's name in the API contract
class ReportInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    params = serializers.JSONField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            report_kind_clean(kind=attrs["kind"], params=attrs["params"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"params": exc.message_dict}) from exc
        return attrs


class ReportFilterSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)


class ReportFormatSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.JSON)


class _IgnoreFormatNegotiation(BaseContentNegotiation):
    """`?format=` names the file to download here, not a DRF renderer; errors are always JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class ReportViewSet(ServiceViewSet):
    """Reports: list those you may see, request one (computed in the background: 202), poll it, download its files.

    Who sees and requests which report is reports.access (the selectors and the service apply it): every signed-in
    user may ask, and a report outside their reach answers 404.
    """

    permission_classes = [AuthenticatedReadWrite]
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ReportDetailOutputSerializer
    input_serializer = ReportInputSerializer
    filter_backends: list[Any] = []  # `kind` and `status` are validated by ReportFilterSerializer (400 otherwise)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Report.objects.none()
        user = authenticated_user(self.request)
        if self.action == "list":
            filters = ReportFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return report_list(user=user, **filters.validated_data)
        return report_list_visible(user=user).select_related("requester")

    def get_serializer_class(self) -> Any:
        return ReportListOutputSerializer if self.action == "list" else ReportDetailOutputSerializer

    def service_create(self, request: Request, data: dict[str, Any]) -> Report:
        return report_request(requester=authenticated_user(request), **data)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=ReportKind.values),
            OpenApiParameter("status", str, enum=ReportStatus.values),
        ],
        description="List the reports you may see; request a new one (computed in the background).",
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={202: ReportDetailOutputSerializer},
        description="List the reports you may see; request a new one (computed in the background).",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Accepted: the report is queued; poll its `url` (answered with the report as it is now, `pending`)."""
        report = self.service_create(request, self.validated(self.input_serializer))
        data = ReportDetailOutputSerializer(report, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        description="One report: status and progress while it runs, the snapshot as `data` once it succeeded."
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=ReportFormat.values)],
        responses={
            (200, "application/json"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="report_not_ready, with the report's `status`"),
        },
        description=(
            "The report as a JSON, CSV or PDF file, as stored (never rendered here); 409 `report_not_ready` until then."
        ),
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_IgnoreFormatNegotiation)
    def download(self, request: Request, pk: str) -> HttpResponse | FileResponse:
        fmt = ReportFormatSerializer(data=request.query_params)
        fmt.is_valid(raise_exception=True)
        file = report_file_get(report=self.get_object(), fmt=fmt.validated_data["format"])
        if file.stored is not None:  # the file the task stored, streamed as it is
            return FileResponse(file.stored, as_attachment=True, filename=file.filename, content_type=file.content_type)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file.filename) or ""
        return response
