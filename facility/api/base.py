"""Shared pieces of the facility API: the permission class and the service-backed viewset."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Staff only, with the model permission of the request: view to read, add/change to write.

    A view's `action_permissions` maps custom actions (acknowledge, close, ...) to the permission they need.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if needed:
            opts = self._queryset(view).model._meta
            return bool(user.has_perm(f"{opts.app_label}.{needed}_{opts.model_name}"))
        return super().has_permission(request, view)


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
