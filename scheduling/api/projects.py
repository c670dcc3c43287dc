"""REST endpoints: projects (researchers: their own; staff: all, write) and allocations with usage."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from accounts.models import User
from accounts.selectors import user_get_by_email
from core.permissions import AuthenticatedReadStaffWrite, AuthenticatedReadWrite
from core.viewsets import ServiceViewSet
from facility.models import Organization
from scheduling.api.common import HoursField
from scheduling.choices import MembershipRole
from scheduling.models import Allocation, Backend, Membership, Project
from scheduling.selectors import allocation_list_for_user, project_list_for_user
from scheduling.services import (
    allocation_create,
    allocation_update,
    project_create,
    project_member_add,
    project_member_remove,
    project_members_check,
    project_update,
)


class MemberSerializer(serializers.ModelSerializer[Membership]):
    class Meta:
        model = Membership
        fields = ["user", "role"]


class ProjectOutputSerializer(serializers.ModelSerializer[Project]):
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "code", "title", "institution", "pi", "members", "active", "description"]


class MemberAddSerializer(serializers.Serializer[Any]):
    """A member to add, by user id or by e-mail address (an existing account); role `pi` hands the PI role over."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("user" in attrs) == ("email" in attrs):
            raise serializers.ValidationError({"user": [_("Give either the user's id or their e-mail address.")]})
        if "email" in attrs:
            user = user_get_by_email(email=attrs.pop("email"))
            if user is None:
                raise serializers.ValidationError({"email": [_("No account has this e-mail address.")]})
            attrs["user"] = user
        return attrs


@extend_schema_view(
    members=extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer}),
    member_remove=extend_schema(
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(description="The principal investigator cannot be removed: hand the role over first"),
        },
    ),
)
class ProjectViewSet(ServiceViewSet):
    """Projects: researchers see those they belong to; staff see and change all. Members are added and removed by
    the project's PI or staff (`not_pi` for others)."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = ProjectOutputSerializer
    filterset_fields = ["institution", "active"]
    http_method_names = [*ServiceViewSet.http_method_names, "delete"]  # a membership ends; nothing else is deleted
    member_actions = frozenset({"members", "member_remove"})  # the service decides: the PI or staff

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

    def get_permissions(self) -> Any:
        if self.action in self.member_actions:
            return [AuthenticatedReadWrite()]
        return super().get_permissions()

    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str) -> Response:
        """Add a member (or change their role; `pi` hands the PI role over): the project's PI or staff."""
        project, by = self.get_object(), authenticated_user(request)
        project_members_check(project=project, by=by)  # `not_pi` before anything about the body
        membership = project_member_add(project=project, by=by, **self.validated(MemberAddSerializer))
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>[0-9]+)")
    def member_remove(self, request: Request, pk: str, user_id: str) -> Response:
        """End a membership (the person's past bookings and jobs stay): the project's PI or staff."""
        if not project_member_remove(project=self.get_object(), by=authenticated_user(request), user_id=int(user_id)):
            raise NotFound(_("This person is not a member of the project."))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
