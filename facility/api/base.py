"""Shared pieces of the facility API: the service-backed viewset."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.permissions import StaffModelPermissions

DOMAIN_ERROR = OpenApiResponse(description='Domain rule refused the step: `{"detail", "code", ...}`')


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    """List, retrieve, create and update; writes validate with `input_serializer` and call a service.

    No destroy: these records are referenced by history and are never hard-deleted (DELETE answers 405).
    """

    permission_classes = [StaffModelPermissions]
    input_serializer: type[serializers.Serializer[Any]]
    update_serializer: type[serializers.Serializer[Any]] | None = None

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def _reload(self, instance: Model) -> Model:
        reloaded: Model = self.get_queryset().get(pk=instance.pk)
        return reloaded

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.service_create(request, dict(serializer.validated_data))
        output = self.get_serializer(self._reload(instance))
        return Response(output.data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = (self.update_serializer or self.input_serializer)(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.service_update(request, instance, dict(serializer.validated_data))
        return Response(self.get_serializer(self._reload(instance)).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)
