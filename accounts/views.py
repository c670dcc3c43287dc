"""Portal views of the accounts app: sign in and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.models import User
from accounts.services import user_update


class LoginView(auth_views.LoginView):
    """Portal sign-in. Too many failures lock it (HTTP 429): django-axes, see `accounts.lockout`."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LanguageSwitchView(View):
    """Switch the interface language; it sticks in a cookie and, when signed in, on the user."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        language = request.POST.get("language", "")
        next_url = request.POST.get("next") or "/portal/"
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = "/portal/"
        response = HttpResponseRedirect(next_url)
        if language not in dict(settings.LANGUAGES):
            return response
        if isinstance(request.user, User) and request.user.is_authenticated:
            user_update(user=request.user, language=language)
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
