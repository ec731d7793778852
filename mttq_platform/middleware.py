from django.conf import settings
from django.core.signals import request_finished
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from mttq_platform import logs


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose otherwise (the language cookie set by the switcher).

    Django's LocaleMiddleware follows the browser's Accept-Language, so an office laptop with an
    English browser would show English to a cadre who never asked for it.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RequestIdMiddleware:
    """Gives every request an id: the proxy's X-Request-ID when sane, else a new uuid4.

    The id is kept for the logs (mttq_platform.logs) and for the audit (request.request_id), goes
    along to the Celery tasks the request starts, and is answered in the X-Request-ID header. First
    in MIDDLEWARE, so that everything after it, redirects included, logs with the id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = logs.sane_request_id(request.headers.get("X-Request-ID"))
        # Cleared when the response is closed (request_finished), not here: Django writes its own
        # log line for a 4xx/5xx answer after the middleware chain returns.
        logs.bind(request.request_id, request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        logs.set_unit(view_kwargs.get("code"))  # pages under /u/<code>/


request_finished.connect(logs.clear, dispatch_uid="mttq_platform.logs.clear")
