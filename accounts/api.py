"""REST endpoints of the accounts app: tokens and users (one `ServiceViewSet`, with `me` for oneself)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Language
from accounts.identity import authenticated_user
from accounts.models import User
from accounts.selectors import institution_list, user_list
from accounts.services import user_calendar_secret_rotate, user_create, user_update
from core.permissions import AuthenticatedReadWrite
from core.validators import validate_time_zone
from core.viewsets import ServiceViewSet


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "time_zone", "language", "is_staff", "institution"]
        # Read-only drops the input validators from the schema: the username pattern's `\w` is Unicode in
        # Python but ASCII in JSON Schema, so an accepted name like "Þóra" would break the documented answer.
        read_only_fields = fields


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token.

    Guessing is stopped by the sign-in lockout of every door (django-axes sees `authenticate()` with the
    request): past the limit the answer is 429 `too_many_attempts` (`accounts.lockout`), the right password too.
    """

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer[Any]):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the credentials provided."]}, code="authorization"
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class UserMeOutputSerializer(UserOutputSerializer):
    """The signed-in user, their projects and their secret calendar URL."""

    projects = serializers.SerializerMethodField()
    calendar_url = serializers.SerializerMethodField()

    class Meta(UserOutputSerializer.Meta):
        fields = [*UserOutputSerializer.Meta.fields, "projects", "calendar_url"]

    @extend_schema_field(
        inline_serializer(
            "UserProject",
            {"id": serializers.IntegerField(), "code": serializers.CharField(), "role": serializers.CharField()},
            many=True,
        )
    )
    def get_projects(self, user: User) -> list[dict[str, Any]]:
        memberships = getattr(user, "memberships", None)
        if memberships is None:
            return []
        return [
            {"id": m.project_id, "code": m.project.code, "role": m.role}
            for m in memberships.select_related("project").order_by("project__code")
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_calendar_url(self, user: User) -> str:
        request = self.context.get("request")
        path = reverse("calendar-feed", kwargs={"secret": user.calendar_secret})
        return request.build_absolute_uri(path) if request else path


class UserListCreateInputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    institution = serializers.PrimaryKeyRelatedField(queryset=institution_list(), required=False, allow_null=True)
    is_staff = serializers.BooleanField(required=False, default=False)

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value: str) -> str:
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("A user with that email address already exists.")
        return value


class UserMeUpdateSerializer(serializers.Serializer[Any]):
    """What a user may change about themselves (API.md: anything else in the body is ignored)."""

    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)

    def validate_time_zone(self, value: str) -> str:
        try:
            validate_time_zone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class UserViewSet(ServiceViewSet):
    """Users: staff with the user permissions list, create and change them; everyone reads and changes themselves
    through `me`."""

    serializer_class = UserOutputSerializer
    input_serializer = UserListCreateInputSerializer
    update_serializer = UserMeUpdateSerializer  # staff change the same fields a user changes about themselves
    self_actions = frozenset({"me", "calendar_secret"})  # open to every signed-in user, about themselves

    def get_queryset(self) -> Any:
        return user_list()

    def get_permissions(self) -> Any:
        if self.action in self.self_actions:
            return [AuthenticatedReadWrite()]
        return super().get_permissions()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return user_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return user_update(user=instance, **data)

    def _me(self, user: User) -> Response:
        return Response(UserMeOutputSerializer(user, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses={200: UserMeOutputSerializer})
    @extend_schema(methods=["PATCH"], request=UserMeUpdateSerializer, responses={200: UserMeOutputSerializer})
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        """The signed-in user, their projects and their secret calendar URL; PATCH changes name, time zone and
        language (400 for a bad time zone or language; other fields are ignored)."""
        user = authenticated_user(request)
        if request.method == "PATCH":
            user = user_update(user=user, **self.validated(UserMeUpdateSerializer, partial=True))
        return self._me(user)

    @extend_schema(request=None, responses={200: UserMeOutputSerializer})
    @action(detail=False, methods=["post"], url_path="me/calendar-secret")
    def calendar_secret(self, request: Request) -> Response:
        """Give the signed-in user a new secret calendar URL; the old one stops working at once."""
        return self._me(user_calendar_secret_rotate(user=authenticated_user(request)))
