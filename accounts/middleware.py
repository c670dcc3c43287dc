"""Per-request middleware: the user's preferences (time zone, language), and no caching of private API data."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control

from accounts.models import User


class UserPreferencesMiddleware:
    """Activate the signed-in user's time zone; use their saved language unless a cookie chose one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            timezone.activate(ZoneInfo(user.time_zone))
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        return self.get_response(request)


class PrivateApiCacheMiddleware:
    """`Cache-Control: private, no-store` on every /api/v1/ response.

    The API's answers are the caller's own data (or a token, or an error about them), so neither a shared
    cache nor the browser may keep them. The OpenAPI schema and the docs, outside /api/v1/, stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            patch_cache_control(response, private=True, no_store=True)
        return response
