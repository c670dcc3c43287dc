"""REST endpoints: projects (researchers: their own; staff: all, write) and allocations with usage."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import serializers
from rest_framework.request import Request

from accounts.identity import authenticated_user
from accounts.models import User
from core.permissions import AuthenticatedReadStaffWrite
from core.viewsets import ServiceViewSet
from facility.models import Organization
from scheduling.api.common import HoursField
from scheduling.choices import MembershipRole
from scheduling.models import Allocation, Backend, Membership, Project
from scheduling.selectors import allocation_list_for_user, project_list_for_user
from scheduling.services import allocation_create, allocation_update, project_create, project_update


class MemberSerializer(serializers.ModelSerializer[Membership]):
    class Meta:
        model = Membership
        fields = ["user", "role"]


class ProjectOutputSerializer(serializers.ModelSerializer[Project]):
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "code", "title", "institution", "pi", "members", "active", "description"]


class ProjectViewSet(ServiceViewSet):
    """Projects: researchers see those they belong to; staff see and change all."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = ProjectOutputSerializer
    filterset_fields = ["institution", "active"]

    class MemberInputSerializer(serializers.Serializer[Any]):
        user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
        role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)

    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=40)
        title = serializers.CharField(max_length=300)
        institution = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
        pi = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
        description = serializers.CharField(required=False, allow_blank=True)
        active = serializers.BooleanField(required=False)
        members = serializers.ListField(child=serializers.DictField(), required=False)

        def validate_members(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
            serializer = ProjectViewSet.MemberInputSerializer(data=value, many=True)
            serializer.is_valid(raise_exception=True)
            return list(serializer.validated_data)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Project.objects.none()
        return project_list_for_user(authenticated_user(self.request))

    input_serializer = InputSerializer

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return project_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return project_update(project=instance, **data)


class AllocationOutputSerializer(serializers.ModelSerializer[Allocation]):
    hours = HoursField()
    charged_hours = HoursField(read_only=True)
    remaining_hours = HoursField(read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "project", "backend", "hours", "valid_from", "valid_until", "charged_hours", "remaining_hours"]


class AllocationViewSet(ServiceViewSet):
    """Allocations with `charged_hours` and `remaining_hours` computed from the bookings."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = AllocationOutputSerializer
    filterset_fields = ["project", "backend"]

    class InputSerializer(serializers.Serializer[Any]):
        project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        hours = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
        valid_from = serializers.DateField()
        valid_until = serializers.DateField()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Allocation.objects.none()
        return allocation_list_for_user(authenticated_user(self.request))

    input_serializer = InputSerializer

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return allocation_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return allocation_update(allocation=instance, **data)
