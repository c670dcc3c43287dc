"""Sign-in lockout (django-axes) wiring: the real client address, and the answer a locked-out client gets."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

LOCKOUT_CODE = "too_many_attempts"


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address as the outermost trusted proxy saw it (`settings.TRUSTED_PROXIES`).

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so with N of them
    the client is the N-th entry from the right; anything further left is the client's own claim. With no
    trusted proxy the header is ignored altogether. The same rule as DRF's `NUM_PROXIES` for the throttles.
    """
    proxies: int = settings.TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # not an address: a proxy that passes garbage on is no better than none
        return remote


def lockout_message() -> str:
    """The sentence every door shows a locked-out client."""
    minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
    return _("Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.") % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """`AXES_LOCKOUT_CALLABLE`: 429 on every door; API clients get `{"detail", "code"}`, people a page."""
    retry_after = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message(), "code": LOCKOUT_CODE}, status=429)
    elif request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": _("Sign-in locked"), "message": lockout_message()}
        response = render(request, "admin/locked_out.html", context, status=429)
    else:
        context = {"message": lockout_message(), "login_url": reverse(settings.LOGIN_URL)}
        response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = retry_after
    return response
