"""Portal views of the accounts app: sign in, the language switch, the profile (name, time zone, language,
calendar link), and the password pages (Django's own views in the portal's templates)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import ProfileForm, time_zone_names
from accounts.models import User
from accounts.services import user_calendar_secret_rotate, user_update


class LoginView(auth_views.LoginView):
    """Portal sign-in. Too many failures lock it (HTTP 429): django-axes, see `accounts.lockout`."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _language_cookie(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    """Make `language` the interface language from the next request on (the cookie wins over the saved one)."""
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


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
        return _language_cookie(request, response, language)


class _SignedInView(LoginRequiredMixin, View):
    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # LoginRequiredMixin ran first
        return user


class ProfileView(_SignedInView):
    """Your name, time zone and language; links to change the password; your calendar link."""

    def _render(self, form: ProfileForm, status: int = 200) -> HttpResponse:
        calendar_url = self.request.build_absolute_uri(
            reverse("calendar-feed", kwargs={"secret": self.user.calendar_secret})
        )
        context: dict[str, Any] = {
            "form": form,
            "time_zones": time_zone_names(),
            "calendar_url": calendar_url,
            "active_nav": "profile",
        }
        return render(self.request, "accounts/profile.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        user = self.user
        return self._render(
            ProfileForm(initial={"full_name": user.full_name, "time_zone": user.time_zone, "language": user.language})
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                user = user_update(user=self.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                response = HttpResponseRedirect(reverse("accounts:profile"))
                _language_cookie(request, response, user.language)
                messages.success(request, _("Your profile was saved."))
                return response
        return self._render(form, status=400)


class CalendarRotateView(_SignedInView):
    """Give the user a new secret calendar URL (POST); the old link stops working at once."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user_calendar_secret_rotate(user=self.user)
        messages.success(
            request,
            _("Your calendar link was replaced. Subscribe again with the new link: the old one no longer works."),
        )
        return HttpResponseRedirect(reverse("accounts:profile") + "#calendar")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password (the old one first); the session stays signed in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")
    extra_context = {"active_nav": "profile"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail (the same answer whether or not the address is known)."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link (one use; the link expires)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
