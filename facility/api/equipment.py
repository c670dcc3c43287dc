"""REST endpoints for equipment and its work orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from accounts.models import User
from core.api import AwareDateTimeField
from core.schema import DOMAIN_ERROR
from core.viewsets import ServiceViewSet
from facility import selectors, services
from facility.choices import WorkOrderKind
from facility.filters import (
    EquipmentFilter,
    WorkOrderFilter,
)
from facility.models import Equipment, RegionalOffice, WorkOrder

# Equipment


class ContractRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(min_value=1)
    number = serializers.CharField(max_length=100, allow_blank=True)


class EquipmentOutputSerializer(serializers.ModelSerializer[Equipment]):
    contract_ref = serializers.SerializerMethodField()

    class Meta:
        model = Equipment
        fields = [
            "id",
            "site",
            "name",
            "kind",
            "manufacturer",
            "model",
            "serial_number",
            "installed_on",
            "warranty_until",
            "status",
            "contract_ref",
            "notes",
        ]

    @extend_schema_field(ContractRefSerializer(allow_null=True))
    def get_contract_ref(self, equipment: Equipment) -> dict[str, Any] | None:
        if equipment.contract_id is None:
            return None
        return {"id": equipment.contract_id, "number": equipment.contract_number}


class EquipmentInputSerializer(serializers.ModelSerializer[Equipment]):
    contract_ref = ContractRefSerializer(required=False, allow_null=True)

    class Meta:
        model = Equipment
        fields = [
            "site",
            "name",
            "kind",
            "manufacturer",
            "model",
            "serial_number",
            "installed_on",
            "warranty_until",
            "status",
            "contract_ref",
            "notes",
        ]
        validators: list[Any] = []


def _equipment_fields(data: dict[str, Any]) -> dict[str, Any]:
    if "contract_ref" in data:
        ref = data.pop("contract_ref")
        data["contract_id"] = ref["id"] if ref else None
        data["contract_number"] = ref["number"] if ref else ""
    return data


@extend_schema_view(
    create=extend_schema(request=EquipmentInputSerializer),
    update=extend_schema(
        request=EquipmentInputSerializer, responses={200: EquipmentOutputSerializer, 409: DOMAIN_ERROR}
    ),
    partial_update=extend_schema(
        request=EquipmentInputSerializer, responses={200: EquipmentOutputSerializer, 409: DOMAIN_ERROR}
    ),
)
class EquipmentViewSet(ServiceViewSet):
    """The QPU, cryostat, control electronics and the rest of a site's equipment."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.equipment_list()
    serializer_class = EquipmentOutputSerializer
    input_serializer = EquipmentInputSerializer
    filterset_class = EquipmentFilter

    def get_queryset(self) -> Any:
        return selectors.equipment_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.equipment_create(**_equipment_fields(data))

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.equipment_update(equipment=instance, **_equipment_fields(data))


# Work orders


class WorkOrderOutputSerializer(serializers.ModelSerializer[WorkOrder]):
    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "equipment",
            "kind",
            "title",
            "description",
            "office",
            "assignee",
            "opened_at",
            "acknowledged_at",
            "resolved_at",
            "due_date",
            "status",
            "cancelled_at",
            "resolution",
            "opened_by",
            "acknowledged_by",
            "resolved_by",
            "cancelled_by",
        ]


class WorkOrderInputSerializer(serializers.Serializer[Any]):
    equipment = serializers.PrimaryKeyRelatedField(queryset=Equipment.objects.all())
    kind = serializers.ChoiceField(choices=WorkOrderKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    office = serializers.PrimaryKeyRelatedField(
        queryset=RegionalOffice.objects.all(), required=False, allow_null=True, default=None
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    opened_at = AwareDateTimeField(required=False, help_text="Defaults to now; set it to record history.")


class WorkOrderUpdateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=WorkOrderKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    office = serializers.PrimaryKeyRelatedField(queryset=RegionalOffice.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class WorkOrderAcknowledgeSerializer(serializers.Serializer[Any]):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    at = AwareDateTimeField(required=False)


class WorkOrderResolveSerializer(serializers.Serializer[Any]):
    resolution = serializers.CharField(allow_blank=True, required=False, default="")
    at = AwareDateTimeField(required=False)


class WorkOrderCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    at = AwareDateTimeField(required=False)


def _step_schema(request: type[serializers.Serializer[Any]]) -> Callable[[Any], Any]:
    return extend_schema(
        request=request,
        responses={200: WorkOrderOutputSerializer, 409: DOMAIN_ERROR},
        description="409 `invalid_transition` with `allowed` (the statuses reachable now) if the step is illegal.",
    )


@extend_schema_view(
    create=extend_schema(request=WorkOrderInputSerializer),
    update=extend_schema(request=WorkOrderUpdateSerializer),
    partial_update=extend_schema(request=WorkOrderUpdateSerializer),
)
class WorkOrderViewSet(ServiceViewSet):
    """Service records: open -> acknowledged -> resolved (or cancelled)."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.work_order_list()
    serializer_class = WorkOrderOutputSerializer
    input_serializer = WorkOrderInputSerializer
    update_serializer = WorkOrderUpdateSerializer
    filterset_class = WorkOrderFilter
    action_permissions = {"acknowledge": "change", "resolve": "change", "cancel": "change"}

    def get_queryset(self) -> Any:
        return selectors.work_order_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.work_order_open(user=authenticated_user(request), **data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.work_order_update(work_order=instance, **data)

    def _step(self, request: Request, serializer_class: type[serializers.Serializer[Any]], service: Any) -> Response:
        data = self.validated(serializer_class)
        return self.respond(service(work_order=self.get_object(), user=authenticated_user(request), **data))

    @_step_schema(WorkOrderAcknowledgeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, WorkOrderAcknowledgeSerializer, services.work_order_acknowledge)

    @_step_schema(WorkOrderResolveSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, WorkOrderResolveSerializer, services.work_order_resolve)

    @_step_schema(WorkOrderCancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, WorkOrderCancelSerializer, services.work_order_cancel)
