"""REST endpoints: bookings (create, cancel, approve, reject, recurring series)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from accounts.models import User
from core.api import AwareDateTimeField, UtcIsoDateTimeFilter
from core.permissions import AuthenticatedReadWrite
from core.viewsets import ServiceViewSet
from scheduling.api.common import HoursField, UtcDateTimeField
from scheduling.choices import BookingStatus, CancelReason
from scheduling.models import Backend, Booking, Project
from scheduling.selectors import booking_list_for_user
from scheduling.selectors.common import iso_z
from scheduling.services import (
    booking_approve,
    booking_cancel,
    booking_cancel_preview,
    booking_create,
    booking_reject,
    booking_series_create,
)


class BookingOutputSerializer(serializers.ModelSerializer[Booking]):
    start = UtcDateTimeField(source="starts_at")
    end = UtcDateTimeField(source="ends_at")
    charged_hours = HoursField()
    credited_hours = HoursField()
    cancelled_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()
    approved_at = UtcDateTimeField(allow_null=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "backend",
            "project",
            "user",
            "start",
            "end",
            "purpose",
            "status",
            "charged_hours",
            "credited_hours",
            "late_cancellation",
            "cancelled_at",
            "cancel_reason",
            "rejection_reason",
            "override_policy",
            "series",
            "approved_at",
            "created_at",
        ]


class BookingFilter(filters.FilterSet):  # type: ignore[misc]
    start_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    start_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    status = filters.ChoiceFilter(choices=BookingStatus.choices)
    mine = filters.BooleanFilter(method="filter_mine")

    class Meta:
        model = Booking
        fields = ["backend", "project", "status", "start_after", "start_before", "mine"]

    def filter_mine(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(user=self.request.user) if value else queryset


class BookingInputSerializer(serializers.Serializer[Any]):
    backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    override_policy = serializers.BooleanField(required=False, default=False)


def _booking_args(data: dict[str, Any], request: Request) -> dict[str, Any]:
    """The service's arguments from validated input; who may book for another or outside the policy is the
    service's rule (`booking_create`), checked there once."""
    requester = authenticated_user(request)
    return {
        "backend": data["backend"],
        "project": data["project"],
        "user": data.get("user") or requester,
        "starts_at": data["start"],
        "ends_at": data["end"],
        "purpose": data.get("purpose", ""),
        "override_policy": data.get("override_policy", False),
        "created_by": requester,
    }


class BookingCancelInputSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(
        choices=[CancelReason.USER, CancelReason.MAINTENANCE], required=False, default=CancelReason.USER
    )


class BookingRejectInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class BookingRepeatSerializer(serializers.Serializer[Any]):
    freq = serializers.ChoiceField(choices=["daily", "weekly"])
    count = serializers.IntegerField(min_value=1, max_value=100, required=False)
    until = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "count" not in attrs and "until" not in attrs:
            raise serializers.ValidationError("Give count or until.")
        return attrs


class BookingSeriesInputSerializer(BookingInputSerializer):
    repeat = serializers.DictField()

    def validate_repeat(self, value: dict[str, Any]) -> dict[str, Any]:
        serializer = BookingRepeatSerializer(data=value)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        until = attrs["repeat"].get("until")
        if until is not None and until < attrs["start"].date():
            raise serializers.ValidationError({"repeat": {"until": ["The series ends before its first booking."]}})
        return attrs


class BookingViewSet(ServiceViewSet):
    """Bookings: researchers see and make their projects' bookings; staff see all and approve."""

    permission_classes = [AuthenticatedReadWrite]
    # Approving and rejecting is for staff who may change bookings (the permission of `StaffModelPermissions`).
    action_permissions = {"approve": "change", "reject": "change"}
    http_method_names = ["get", "post", "head", "options"]  # a booking changes only through its actions
    serializer_class = BookingOutputSerializer
    input_serializer = BookingInputSerializer
    filterset_class = BookingFilter
    # The output shows no related rows, and the booking path is pinned lean: answer with the service's instance.
    respond_reloads = False

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Booking.objects.none()
        return booking_list_for_user(user=authenticated_user(self.request))

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return booking_create(**_booking_args(data, request))

    @extend_schema(request=BookingCancelInputSerializer, responses={200: BookingOutputSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel; refunded before the free-cancellation cutoff, kept (late cancellation) after it."""
        data = self.validated(BookingCancelInputSerializer)
        return self.respond(booking_cancel(booking=self.get_object(), by=authenticated_user(request), **data))

    @extend_schema(
        responses=inline_serializer(
            "CancellationPreview",
            {
                "cancellable": serializers.BooleanField(),
                "late_cancellation": serializers.BooleanField(),
                "refund_hours": serializers.CharField(),
                "kept_hours": serializers.CharField(),
                "free_cancellation_until": serializers.DateTimeField(),
            },
        )
    )
    @action(detail=True, methods=["get"], url_path="cancel-preview")
    def cancel_preview(self, request: Request, pk: str | None = None) -> Response:
        """What cancelling now would refund."""
        return Response(booking_cancel_preview(booking=self.get_object()).as_dict())

    @extend_schema(request=None, responses={200: BookingOutputSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Staff: confirm a pending booking."""
        return self.respond(booking_approve(booking=self.get_object(), by=authenticated_user(request)))

    @extend_schema(request=BookingRejectInputSerializer, responses={200: BookingOutputSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Staff: refuse a pending booking (refunded); an optional `reason` is kept and e-mailed to its user."""
        data = self.validated(BookingRejectInputSerializer)
        return self.respond(booking_reject(booking=self.get_object(), by=authenticated_user(request), **data))

    @extend_schema(
        request=BookingSeriesInputSerializer,
        responses={
            201: inline_serializer(
                "BookingSeries",
                {
                    "series": serializers.UUIDField(),
                    "created": BookingOutputSerializer(many=True),
                    "skipped": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    @action(detail=False, methods=["post"])
    def series(self, request: Request) -> Response:
        """A daily or weekly series: what fits is created, the rest reported per occurrence."""
        data = self.validated(BookingSeriesInputSerializer)
        repeat = data.pop("repeat")
        result = booking_series_create(**_booking_args(data, request), **repeat)
        return Response(
            {
                "series": str(result.series),
                "created": BookingOutputSerializer(result.created, many=True).data,
                "skipped": [
                    {**item, "start": iso_z(item["start"]), "end": iso_z(item["end"])} for item in result.skipped
                ],
            },
            status=201,
        )
