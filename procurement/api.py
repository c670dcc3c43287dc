"""REST endpoints of the procurement app: staff with procurement model permissions only (API.md)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import authenticated_user
from core.parsers import StrictMultiPartParser
from core.permissions import StaffModelPermissions
from procurement import selectors, services
from procurement import serializers as s
from procurement.models import OcdsRelease
from procurement.ocds.builder import record_package, release_package
from procurement.services.documents import ALLOWED_TYPES

DOCUMENT_MEDIA_TYPES = sorted({media_type for media_type, _ in ALLOWED_TYPES.values()})

ERROR_BODY = inline_serializer(
    "ProcurementError",
    {"detail": serializers.CharField(), "code": serializers.CharField(), "allowed": serializers.ListField()},
)


class ProcurementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve through a selector; writes call one service each. No delete: nothing is hard-deleted."""

    permission_classes = [StaffModelPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]
    output_serializer: type[serializers.Serializer] = serializers.Serializer

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.output_serializer

    def created(self, obj: Any) -> Response:
        return Response(
            self.output_serializer(obj, context={"request": self.request}).data, status=status.HTTP_201_CREATED
        )

    def ok(self, obj: Any) -> Response:
        return Response(self.output_serializer(obj, context={"request": self.request}).data)

    def validated(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class ProcessViewSet(ProcurementViewSet):
    """Contracting processes, their workflow steps, history and OCDS releases."""

    output_serializer = s.ProcessOutputSerializer
    filterset_fields = ["status", "buyer", "procuring_entity"]

    def get_queryset(self) -> Any:
        return selectors.process_list()

    @extend_schema(request=s.ProcessInputSerializer, responses={201: s.ProcessOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(s.ProcessInputSerializer)
        return self.created(services.process_create(user=authenticated_user(request), **data))

    @extend_schema(request=s.ProcessInputSerializer, responses={200: s.ProcessOutputSerializer, 409: ERROR_BODY})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = self.validated(s.ProcessInputSerializer, partial=True)
        process = services.process_update(process=self.get_object(), user=authenticated_user(request), **data)
        return self.ok(process)

    @extend_schema(request=s.TransitionInputSerializer, responses={200: s.ProcessOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = self.validated(s.TransitionInputSerializer)
        process = services.process_transition(
            process=self.get_object(), to=data["to"], note=data["note"], user=authenticated_user(request)
        )
        return self.ok(process)

    @extend_schema(responses={200: s.HistoryOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list (API.md), not a page
    def history(self, request: Request, pk: str) -> Response:
        rows = selectors.process_history(process=self.get_object())
        return Response(s.HistoryOutputSerializer(rows, many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def ocds(self, request: Request, pk: str) -> Response:
        releases = selectors.release_list(process=self.get_object())
        return Response(release_package(releases, uri=request.build_absolute_uri()))


class TenderViewSet(ProcurementViewSet):
    output_serializer = s.TenderOutputSerializer
    filterset_fields = ["process", "status"]

    def get_queryset(self) -> Any:
        return selectors.tender_list()

    @extend_schema(request=s.TenderInputSerializer, responses={201: s.TenderOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.tender_columns(self.validated(s.TenderInputSerializer))
        items = [s.item_columns(item) for item in data.pop("items", [])]
        tender = services.tender_create(user=authenticated_user(request), items=items, **data)
        return self.created(selectors.tender_list().get(pk=tender.pk))

    @extend_schema(request=s.TenderInputSerializer, responses={200: s.TenderOutputSerializer, 409: ERROR_BODY})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = s.tender_columns(self.validated(s.TenderInputSerializer, partial=True))
        data.pop("process", None)
        if data.pop("items", None) is not None:
            raise serializers.ValidationError({"items": ["Add items with POST .../tenders/{id}/items/."]})
        tender = services.tender_update(tender=self.get_object(), user=authenticated_user(request), **data)
        return self.ok(selectors.tender_list().get(pk=tender.pk))

    @extend_schema(request=s.TenderItemSerializer, responses={201: s.TenderOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str) -> Response:
        item = s.item_columns(self.validated(s.TenderItemSerializer))
        tender = self.get_object()
        services.tender_item_create(tender=tender, user=authenticated_user(request), **item)
        return self.created(selectors.tender_list().get(pk=tender.pk))


class BidViewSet(ProcurementViewSet):
    output_serializer = s.BidOutputSerializer
    filterset_fields = ["tender", "status", "tenderer"]

    def get_queryset(self) -> Any:
        return selectors.bid_list()

    @extend_schema(request=s.BidInputSerializer, responses={201: s.BidOutputSerializer})
    def create(self, request: Request) -> Response:
        return self.created(
            services.bid_create(user=authenticated_user(request), **self.validated(s.BidInputSerializer))
        )

    @extend_schema(request=s.BidUpdateSerializer, responses={200: s.BidOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = self.validated(s.BidUpdateSerializer, partial=True)
        return self.ok(services.bid_update(bid=self.get_object(), user=authenticated_user(request), **data))


class AwardViewSet(ProcurementViewSet):
    output_serializer = s.AwardOutputSerializer
    filterset_fields = ["process", "status"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.award_list()

    @extend_schema(request=s.AwardInputSerializer, responses={201: s.AwardOutputSerializer})
    def create(self, request: Request) -> Response:
        award = services.award_create(user=authenticated_user(request), **self.validated(s.AwardInputSerializer))
        return self.created(selectors.award_list().get(pk=award.pk))


class ContractViewSet(ProcurementViewSet):
    output_serializer = s.ContractOutputSerializer
    filterset_fields = ["process", "status", "award"]

    def get_queryset(self) -> Any:
        return selectors.contract_list()

    @extend_schema(request=s.ContractInputSerializer, responses={201: s.ContractOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.contract_columns(self.validated(s.ContractInputSerializer))
        contract = services.contract_create(user=authenticated_user(request), **data)
        return self.created(selectors.contract_list().get(pk=contract.pk))

    @extend_schema(request=s.ContractUpdateSerializer, responses={200: s.ContractOutputSerializer, 409: ERROR_BODY})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = s.contract_columns(self.validated(s.ContractUpdateSerializer, partial=True))
        contract = services.contract_update(contract=self.get_object(), user=authenticated_user(request), **data)
        return self.ok(selectors.contract_list().get(pk=contract.pk))

    @extend_schema(request=s.ContractSignSerializer, responses={200: s.ContractOutputSerializer, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        data = self.validated(s.ContractSignSerializer)
        contract = services.contract_sign(contract=self.get_object(), user=authenticated_user(request), **data)
        return self.ok(selectors.contract_list().get(pk=contract.pk))


class MilestoneViewSet(ProcurementViewSet):
    output_serializer = s.MilestoneOutputSerializer
    filterset_fields = ["contract", "status", "code"]

    def get_queryset(self) -> Any:
        return selectors.milestone_list()

    @extend_schema(request=s.MilestoneInputSerializer, responses={201: s.MilestoneOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(s.MilestoneInputSerializer)
        return self.created(services.milestone_create(user=authenticated_user(request), **data))

    @extend_schema(request=s.MilestoneUpdateSerializer, responses={200: s.MilestoneOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = self.validated(s.MilestoneUpdateSerializer, partial=True)
        return self.ok(services.milestone_update(milestone=self.get_object(), user=authenticated_user(request), **data))


class AmendmentViewSet(ProcurementViewSet):
    output_serializer = s.AmendmentOutputSerializer
    filterset_fields = ["process", "tender", "contract"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.amendment_list()

    @extend_schema(request=s.AmendmentInputSerializer, responses={201: s.AmendmentOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(s.AmendmentInputSerializer)
        return self.created(services.amendment_create(user=authenticated_user(request), **data))


class PaymentViewSet(ProcurementViewSet):
    output_serializer = s.PaymentOutputSerializer
    filterset_fields = ["contract", "milestone"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.payment_list()

    @extend_schema(request=s.PaymentInputSerializer, responses={201: s.PaymentOutputSerializer, 409: ERROR_BODY})
    def create(self, request: Request) -> Response:
        data = self.validated(s.PaymentInputSerializer)
        return self.created(services.payment_create(user=authenticated_user(request), **data))


class ExchangeRateViewSet(ProcurementViewSet):
    output_serializer = s.ExchangeRateSerializer
    filterset_fields = ["currency", "date"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.exchange_rate_list()

    @extend_schema(request=s.ExchangeRateSerializer, responses={201: s.ExchangeRateSerializer})
    def create(self, request: Request) -> Response:
        data = self.validated(s.ExchangeRateSerializer)
        return self.created(services.exchange_rate_create(**data))


class DocumentViewSet(ProcurementViewSet):
    output_serializer = s.DocumentOutputSerializer
    parser_classes = [StrictMultiPartParser]  # the one endpoint that takes an upload (API.md); no JSON
    filterset_fields = ["process", "stage", "document_type"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.document_list()

    @extend_schema(
        request={"multipart/form-data": s.DocumentInputSerializer}, responses={201: s.DocumentOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = self.validated(s.DocumentInputSerializer)
        return self.created(services.document_create(user=authenticated_user(request), **data))

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
