"""REST endpoints of the accounts app: tokens and users."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Language
from accounts.identity import authenticated_user
from accounts.models import User
from accounts.selectors import institution_list, user_list
from accounts.services import user_create, user_rotate_calendar_secret
from core.permissions import StaffModelPermissions


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


class UserMeApi(APIView):
    """The signed-in user, their projects and their secret calendar URL."""

    class OutputSerializer(UserOutputSerializer):
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

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        user = authenticated_user(request)
        return Response(self.OutputSerializer(user, context={"request": request}).data)


class CalendarSecretRotateApi(APIView):
    """Give the signed-in user a new secret calendar URL; the old one stops working at once."""

    @extend_schema(request=None, responses={200: UserMeApi.OutputSerializer})
    def post(self, request: Request) -> Response:
        user = user_rotate_calendar_secret(user=authenticated_user(request))
        return Response(UserMeApi.OutputSerializer(user, context={"request": request}).data)


class UserListCreateApi(ListAPIView[User]):
    """Staff with the user permissions: list and create users."""

    permission_classes = [StaffModelPermissions]
    serializer_class = UserOutputSerializer

    class InputSerializer(serializers.Serializer[Any]):
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

    def get_queryset(self) -> Any:
        return user_list()

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)
