"""REST endpoints: the waitlist (researchers: their own entries; staff: all). Joining waits for a taken slot;
DELETE leaves it (the entry stays, as `left`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from core.api import AwareDateTimeField
from core.permissions import AuthenticatedReadWrite
from core.viewsets import ServiceViewSet
from scheduling.api.common import UtcDateTimeField
from scheduling.models import Backend, Project, WaitlistEntry
from scheduling.selectors import waitlist_list_for_user
from scheduling.services import waitlist_join, waitlist_leave


class WaitlistOutputSerializer(serializers.ModelSerializer[WaitlistEntry]):
    start = UtcDateTimeField(source="starts_at")
    end = UtcDateTimeField(source="ends_at")
    created_at = UtcDateTimeField()
    closed_at = UtcDateTimeField(allow_null=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "backend",
            "project",
            "user",
            "start",
            "end",
            "purpose",
            "status",
            "booking",
            "created_at",
            "closed_at",
        ]


class WaitlistViewSet(ServiceViewSet):
    """Waitlist entries: a researcher waits for a slot a booking holds; when it frees, the oldest waiting entry
    that fits is booked for its owner."""

    # Every signed-in user may wait for a slot of their projects (the service checks membership) and sees their
    # own entries; staff with the view permission see all (the selector decides).
    permission_classes = [AuthenticatedReadWrite]
    http_method_names = ["get", "post", "delete", "head", "options"]
    serializer_class = WaitlistOutputSerializer
    filterset_fields = ["backend", "project", "status"]

    class InputSerializer(serializers.Serializer[Any]):
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
        start = AwareDateTimeField()
        end = AwareDateTimeField()
        purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    input_serializer = InputSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WaitlistEntry.objects.none()
        return waitlist_list_for_user(user=authenticated_user(self.request))

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return waitlist_join(
            user=authenticated_user(request),
            backend=data["backend"],
            project=data["project"],
            starts_at=data["start"],
            ends_at=data["end"],
            purpose=data["purpose"],
        )

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Leave the waitlist: the entry stays, as `left` (only a waiting entry can be left)."""
        waitlist_leave(entry=self.get_object(), by=authenticated_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
