"""Hardening pieces that are not settings: the login lockout backend, the API rate limit per token,
the response headers Django has no setting for, and the admin site restricted to superusers.

The settings that switch them on are in the "Hardening" block of mttq_platform/settings.py.
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.db.models import Model
from rest_framework.throttling import SimpleRateThrottle


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes through a web request (the login page,
    the admin's login). A call without a request (the test client's ``login``, a shell) is no login
    attempt from anywhere, has no address to lock, and is let through to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PerTokenRateThrottle(SimpleRateThrottle):
    """At most ``settings.API_RATE_PER_TOKEN`` requests ("600/min") per API token; a request signed
    in another way (a federation peer) counts per its credential, a browser session per user, an
    anonymous caller per address. The counts live in the shared cache (Redis), so every gunicorn
    worker sees the same ones. An empty rate switches the limit off."""

    scope = "api"

    def get_rate(self):
        # Read at each request, not at import: settings overrides (tests, env) take effect.
        return getattr(settings, "API_RATE_PER_TOKEN", None) or None

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        credential = request.auth
        if isinstance(credential, Model) and credential.pk is not None:
            ident = f"{credential._meta.label_lower}:{credential.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{client_address(request)}"  # not DRF's get_ident: it believes any X-Forwarded-For
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SecurityHeadersMiddleware:
    """Permissions-Policy (no camera, microphone, location, payment... for any page) and
    Cross-Origin-Resource-Policy; Django sets the other headers itself (nosniff, referrer policy,
    COOP, X-Frame-Options) and django-csp the content security policy, which this middleware (inside
    django-csp's) widens for the admin's inline styles."""

    PERMISSIONS_POLICY = ", ".join(
        f"{feature}=()" for feature in (
            "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
            "payment", "usb",
        )
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin" and not hasattr(response, "_csp_update"):
            # django-mptt's tree admin indents rows with style attributes; the admin (superusers
            # only) may have inline styles, never inline scripts. Read by django-csp's middleware.
            response._csp_update = {"style-src": [SELF, UNSAFE_INLINE]}
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


def superuser_only(request) -> bool:
    """The admin site's door: the tree, tokens and the audit log are for superusers, not for any
    member given ``is_staff``."""
    user = request.user
    return user.is_active and user.is_superuser


def client_address(request) -> str | None:
    """The caller's address for lockouts and rate limits. X-Forwarded-For can be written by anyone,
    so only the entries appended by our own proxies (``settings.TRUSTED_PROXY_COUNT``, counted from
    the right) are believed; with no proxy configured, the socket's address."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
