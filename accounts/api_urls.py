"""REST routes of the accounts app (mounted under /api/v1/)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from accounts import api

router = SimpleRouter()
router.register("users", api.UserViewSet, basename="user")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    *router.urls,
]
