"""The one way to write an API endpoint: a service-backed ViewSet (CONTRIBUTING.md).

Reads go through a selector (`get_queryset`); creating and changing a record validate an input serializer and
call one service (`service_create`, `service_update`); every other step of a workflow is an `@action` that
validates its own input serializer, calls one service and answers with `respond()`. Nothing is hard-deleted, so
there is no destroy; PUT is offered only where a viewset lists it in `http_method_names`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.permissions import StaffModelPermissions


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    """List and retrieve through a selector; create and update through one service each."""

    permission_classes = [StaffModelPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer: type[serializers.Serializer[Any]]
    update_serializer: type[serializers.Serializer[Any]] | None = None  # when changing takes other fields
    # `respond()` reads the record again through the selector, so the output has the selector's joins and
    # annotations. A viewset whose output needs nothing beyond the service's own instance (no related rows, no
    # annotations) may set this False and spare the query.
    respond_reloads = True

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        """Create the record from validated input (one service call)."""
        raise NotImplementedError

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        """Change the record from validated input (one service call)."""
        raise NotImplementedError

    def validated(
        self, serializer_class: type[serializers.Serializer[Any]], *, partial: bool = False
    ) -> dict[str, Any]:
        """The request body, validated by `serializer_class` (a 400 with DRF's field errors otherwise)."""
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def respond(self, instance: Model, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The record as the output serializer shows it, read again through the selector (its joins) by default."""
        shown = self.get_queryset().get(pk=instance.pk) if self.respond_reloads else instance
        return Response(self.get_serializer(shown).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.service_create(request, self.validated(self.input_serializer))
        return self.respond(instance, status_code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        data = self.validated(self.update_serializer or self.input_serializer, partial=partial)
        return self.respond(self.service_update(request, instance, data))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)
