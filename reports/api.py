"""REST endpoints of the reports app: request, poll, list and download reports (API.md, reports)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import authenticated_user
from accounts.models import User
from core.api import StandardPagination
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.models import Report
from reports.selectors import report_get, report_list
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


class ReportListCreateApi(APIView):
    """List the reports you may see; request a new one (computed in the background)."""

    pagination_class = StandardPagination  # GET pages its list; the schema learns it from this attribute

    class InputSerializer(serializers.Serializer[Any]):
        kind = serializers.ChoiceField(choices=ReportKind.choices)
        params = serializers.JSONField(required=False, default=dict)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            try:
                report_kind_clean(kind=attrs["kind"], params=attrs["params"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"params": exc.message_dict}) from exc
            return attrs

    class FilterSerializer(serializers.Serializer[Any]):
        kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
        status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=ReportKind.values),
            OpenApiParameter("status", str, enum=ReportStatus.values),
        ],
        responses={200: ReportListOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        reports = report_list(user=authenticated_user(request), **filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reports, request, view=self)
        data = ReportListOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=InputSerializer, responses={202: ReportDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_request(requester=authenticated_user(request), **serializer.validated_data)
        data = ReportDetailOutputSerializer(report, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(APIView):
    """One report: status and progress while it runs, the snapshot as `data` once it succeeded."""

    @extend_schema(responses={200: ReportDetailOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        report = report_get(user=authenticated_user(request), report_id=pk)
        return Response(ReportDetailOutputSerializer(report, context={"request": request}).data)


class _IgnoreFormatNegotiation(BaseContentNegotiation):
    """`?format=` names the file to download here, not a DRF renderer; errors are always JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class ReportDownloadApi(APIView):
    """The report as a JSON, CSV or PDF file, as stored (never rendered here); 409 `report_not_ready` until then."""

    content_negotiation_class = _IgnoreFormatNegotiation

    class FormatSerializer(serializers.Serializer[Any]):
        format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.JSON)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=ReportFormat.values)],
        responses={
            (200, "application/json"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="report_not_ready, with the report's `status`"),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse | FileResponse:
        fmt = self.FormatSerializer(data=request.query_params)
        fmt.is_valid(raise_exception=True)
        report = report_get(user=authenticated_user(request), report_id=pk)
        file = report_file_get(report=report, fmt=fmt.validated_data["format"])
        if file.stored is not None:  # the file the task stored, streamed as it is
            return FileResponse(file.stored, as_attachment=True, filename=file.filename, content_type=file.content_type)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file.filename) or ""
        return response
