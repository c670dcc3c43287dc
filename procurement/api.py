"""REST endpoints of the procurement app: staff with procurement model permissions only (API.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import authenticated_user
from core.parsers import StrictMultiPartParser
from core.permissions import StaffModelPermissions
from core.viewsets import ServiceViewSet
from procurement import selectors, services
from procurement import serializers as s
from procurement.models import OcdsRelease
from procurement.money import money_columns
from procurement.ocds.builder import record_package, release_package
from procurement.services.documents import ALLOWED_TYPES

DOCUMENT_MEDIA_TYPES = sorted({media_type for media_type, _ in ALLOWED_TYPES.values()})

ERROR_BODY = inline_serializer(
    "ProcurementError",
    {"detail": serializers.CharField(), "code": serializers.CharField(), "allowed": serializers.ListField()},
)


def _schema(input_serializer: Any, output: Any, *, update: Any = None, refusals: bool = False) -> Any:
    """The create and partial-update documentation of a procurement viewset (409: a refused workflow step)."""
    refused = {409: ERROR_BODY} if refusals else {}
    views = {"create": extend_schema(request=input_serializer, responses={201: output})}
    if update is not None:
        views["partial_update"] = extend_schema(request=update, responses={200: output, **refused})
    return extend_schema_view(**views)


class LockedFieldsFirst(ServiceViewSet):
    """A change to a locked field answers `amendment_required` before its new value is validated (API.md)."""

    lock_keys: dict[str, tuple[str, ...]]  # input field -> the model fields it sets

    def locked_fields(self, instance: Any) -> frozenset[str]:
        raise NotImplementedError

    def columns(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validated input as the model fields it sets."""
        raise NotImplementedError

    def update_check(self, request: Request, instance: Any) -> None:
        locked = self.locked_fields(instance)
        given = [key for key, fields in self.lock_keys.items() if key in request.data and set(fields) & locked]
        if not given:
            return
        fields = (self.update_serializer or self.input_serializer)().fields
        parsed: dict[str, Any] = {}
        unreadable: list[str] = []
        for key in given:
            try:
                parsed[key] = fields[key].run_validation(request.data[key])
            except (serializers.ValidationError, DjangoValidationError):
                unreadable.extend(self.lock_keys[key])  # a value that cannot be read is not the stored one
        services.locked_change_refuse(instance, self.columns(parsed), locked=locked, unreadable=unreadable)


@extend_schema_view(
    create=extend_schema(request=s.ProcessInputSerializer, responses={201: s.ProcessOutputSerializer}),
    partial_update=extend_schema(
        request=s.ProcessInputSerializer, responses={200: s.ProcessOutputSerializer, 409: ERROR_BODY}
    ),
)
class ProcessViewSet(ServiceViewSet):
    """Contracting processes, their workflow steps, history and OCDS releases."""

    serializer_class = s.ProcessOutputSerializer
    input_serializer = s.ProcessInputSerializer
    filterset_fields = ["status", "buyer", "procuring_entity"]

    def get_queryset(self) -> Any:
        return selectors.process_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.process_create(user=authenticated_user(request), **data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.process_update(process=instance, user=authenticated_user(request), **data)

    @extend_schema(request=s.TransitionInputSerializer, responses={200: s.ProcessOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = self.validated(s.TransitionInputSerializer)
        process = services.process_transition(
            process=self.get_object(),
            to=data["to"],
            note=data["note"],
            user=authenticated_user(request),
            published_at=data.get("published_at"),
        )
        return self.respond(process)

    @extend_schema(responses={200: s.HistoryOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list (API.md), not a page
    def history(self, request: Request, pk: str) -> Response:
        rows = selectors.process_history_list(process=self.get_object())
        return Response(s.HistoryOutputSerializer(rows, many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def ocds(self, request: Request, pk: str) -> Response:
        releases = selectors.release_list(process=self.get_object())
        return Response(release_package(releases, uri=request.build_absolute_uri()))


@_schema(s.TenderInputSerializer, s.TenderOutputSerializer, update=s.TenderInputSerializer, refusals=True)
class TenderViewSet(LockedFieldsFirst):
    """The tender of a process: periods, estimated value, items (published by the `tender` step)."""

    serializer_class = s.TenderOutputSerializer
    input_serializer = s.TenderInputSerializer
    filterset_fields = ["process", "status"]
    lock_keys = {
        "title": ("title",),
        "description": ("description",),
        "tender_period": ("tender_start", "tender_end"),
        "enquiry_period": ("enquiry_start", "enquiry_end"),
        "estimated_value": ("estimated_value_minor", "estimated_value_currency"),
        "award_criteria": ("award_criteria",),
    }

    def locked_fields(self, instance: Any) -> frozenset[str]:
        return services.tender_locked_fields(instance)

    def columns(self, data: dict[str, Any]) -> dict[str, Any]:
        return money_columns(s.tender_columns(data), "estimated_value", "estimated_value")

    def get_queryset(self) -> Any:
        return selectors.tender_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        data = s.tender_columns(data)
        items = [s.item_columns(item) for item in data.pop("items", [])]
        return services.tender_create(user=authenticated_user(request), items=items, **data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        data = s.tender_columns(data)
        data.pop("process", None)
        if data.pop("items", None) is not None:
            raise serializers.ValidationError({"items": ["Add items with POST .../tenders/{id}/items/."]})
        return services.tender_update(tender=instance, user=authenticated_user(request), **data)

    @extend_schema(request=s.TenderItemSerializer, responses={201: s.TenderOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str) -> Response:
        data = self.validated(s.TenderItemSerializer)
        tender = self.get_object()
        services.tender_item_create(
            tender=tender,
            user=authenticated_user(request),
            published_at=data.get("published_at"),
            **s.item_columns(data),
        )
        return self.respond(tender, status_code=status.HTTP_201_CREATED)


@_schema(s.BidInputSerializer, s.BidOutputSerializer, update=s.BidUpdateSerializer)
class BidViewSet(ServiceViewSet):
    """Bids on a published tender; their evaluation (status, rank)."""

    serializer_class = s.BidOutputSerializer
    input_serializer = s.BidInputSerializer
    update_serializer = s.BidUpdateSerializer
    filterset_fields = ["tender", "status", "tenderer"]

    def get_queryset(self) -> Any:
        return selectors.bid_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.bid_create(user=authenticated_user(request), **data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.bid_update(bid=instance, user=authenticated_user(request), **data)


@_schema(s.AwardInputSerializer, s.AwardOutputSerializer)
class AwardViewSet(ServiceViewSet):
    """Awards of a process to the supplier of a valid bid."""

    serializer_class = s.AwardOutputSerializer
    input_serializer = s.AwardInputSerializer
    filterset_fields = ["process", "status"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.award_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.award_create(user=authenticated_user(request), **data)


@_schema(s.ContractInputSerializer, s.ContractOutputSerializer, update=s.ContractUpdateSerializer, refusals=True)
class ContractViewSet(LockedFieldsFirst):
    """Contracts of an active award, their signature; value and period locked once signed."""

    serializer_class = s.ContractOutputSerializer
    input_serializer = s.ContractInputSerializer
    update_serializer = s.ContractUpdateSerializer
    filterset_fields = ["process", "status", "award"]
    lock_keys = {"value": ("value_minor", "value_currency"), "period": ("period_start", "period_end")}

    def locked_fields(self, instance: Any) -> frozenset[str]:
        return services.contract_locked_fields(instance)

    def columns(self, data: dict[str, Any]) -> dict[str, Any]:
        return money_columns(s.contract_columns(data), "value", "value")

    def get_queryset(self) -> Any:
        return selectors.contract_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.contract_create(user=authenticated_user(request), **s.contract_columns(data))

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.contract_update(contract=instance, user=authenticated_user(request), **s.contract_columns(data))

    @extend_schema(request=s.ContractSignSerializer, responses={200: s.ContractOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        data = self.validated(s.ContractSignSerializer)
        return self.respond(
            services.contract_sign(contract=self.get_object(), user=authenticated_user(request), **data)
        )


@_schema(s.MilestoneInputSerializer, s.MilestoneOutputSerializer, update=s.MilestoneUpdateSerializer)
class MilestoneViewSet(ServiceViewSet):
    """Milestones of a contract (delivered, installed, site acceptance, warranty end)."""

    serializer_class = s.MilestoneOutputSerializer
    input_serializer = s.MilestoneInputSerializer
    update_serializer = s.MilestoneUpdateSerializer
    filterset_fields = ["contract", "status", "code"]

    def get_queryset(self) -> Any:
        return selectors.milestone_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.milestone_create(user=authenticated_user(request), **data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.milestone_update(milestone=instance, user=authenticated_user(request), **data)


@_schema(s.AmendmentInputSerializer, s.AmendmentOutputSerializer)
class AmendmentViewSet(ServiceViewSet):
    """Amendments: the only change to a published tender or a signed contract."""

    serializer_class = s.AmendmentOutputSerializer
    input_serializer = s.AmendmentInputSerializer
    filterset_fields = ["process", "tender", "contract"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.amendment_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.amendment_create(user=authenticated_user(request), **data)


@extend_schema_view(
    create=extend_schema(request=s.PaymentInputSerializer, responses={201: s.PaymentOutputSerializer, 409: ERROR_BODY})
)
class PaymentViewSet(ServiceViewSet):
    """Payments against a contract, with their exchange rate to KRW."""

    serializer_class = s.PaymentOutputSerializer
    input_serializer = s.PaymentInputSerializer
    filterset_fields = ["contract", "milestone"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.payment_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.payment_create(user=authenticated_user(request), **data)


@_schema(s.ExchangeRateSerializer, s.ExchangeRateSerializer)
class ExchangeRateViewSet(ServiceViewSet):
    """Exchange rates to KRW by date and currency."""

    serializer_class = s.ExchangeRateSerializer
    input_serializer = s.ExchangeRateSerializer
    filterset_fields = ["currency", "date"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.exchange_rate_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.exchange_rate_create(**data)


@_schema({"multipart/form-data": s.DocumentInputSerializer}, s.DocumentOutputSerializer)
class DocumentViewSet(ServiceViewSet):
    """Documents of a process with their SHA-256 (multipart upload), and their download."""

    serializer_class = s.DocumentOutputSerializer
    input_serializer = s.DocumentInputSerializer
    parser_classes = [StrictMultiPartParser]  # the one endpoint that takes an upload (API.md); no JSON
    filterset_fields = ["process", "stage", "document_type"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.document_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.document_create(user=authenticated_user(request), **data)

    # The file answers with the media type it was checked as on upload.
    @extend_schema(responses={(200, media): OpenApiResponse(OpenApiTypes.BINARY) for media in DOCUMENT_MEDIA_TYPES})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        document = self.get_object()
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.media_type,
        )


class OcdsReleasePackageApi(APIView):
    """The OCDS release package of every process."""

    permission_classes = [StaffModelPermissions]
    queryset = OcdsRelease.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(release_package(selectors.release_list(), uri=request.build_absolute_uri()))


class OcdsRecordPackageApi(APIView):
    """The OCDS record package: one record per process with its releases and the compiled release."""

    permission_classes = [StaffModelPermissions]
    queryset = OcdsRelease.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(record_package(selectors.release_list(), uri=request.build_absolute_uri()))
