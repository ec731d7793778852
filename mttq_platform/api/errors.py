"""API errors as JSON with a Vietnamese and an English message.

Shape: {"error": {"status": 404, "code": "not_found", "message": "<vi>", "message_en": "<en>",
"detail": <DRF detail: field errors for validation>}}
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGES = {
    "not_authenticated": ("Chưa đăng nhập hoặc thiếu mã truy cập.", "Authentication credentials were not provided."),
    "authentication_failed": ("Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.", "Invalid, expired or revoked credentials."),
    "permission_denied": ("Bạn không có quyền thực hiện thao tác này.", "You do not have permission to perform this action."),
    "token_read_only": ("Mã truy cập này chỉ được phép đọc.", "This API token is read-only."),
    "not_found": ("Không tìm thấy, hoặc bạn không có quyền xem.", "Not found, or you may not see it."),
    "invalid": ("Dữ liệu gửi lên không hợp lệ.", "The data sent is not valid."),
    "parse_error": ("Không đọc được dữ liệu gửi lên.", "The request body could not be parsed."),
    "method_not_allowed": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "not_acceptable": ("Không có định dạng phù hợp.", "No acceptable representation."),
    "unsupported_media_type": ("Kiểu dữ liệu không được hỗ trợ.", "Unsupported media type."),
    "throttled": ("Quá nhiều yêu cầu, vui lòng thử lại sau.", "Too many requests; try again later."),
    "server_error": ("Lỗi máy chủ. Dữ liệu đã lưu không bị ảnh hưởng.", "Server error. Saved data is not affected."),
}


def error_body(status: int, code: str, detail=None, messages: tuple[str, str] | None = None) -> dict:
    vi, en = messages or MESSAGES.get(code, MESSAGES["invalid"] if status == 400 else MESSAGES["server_error"])
    body = {"status": status, "code": code, "message": vi, "message_en": en}
    if detail is not None:
        body["detail"] = detail
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        # Services speak Django's ValidationError (messages already in Vietnamese / English).
        exc = exceptions.ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    # An exception may carry its own two messages (``message_vi``, ``message_en``): an app's
    # specific refusal need not be listed in the table above.
    messages = (exc.message_vi, exc.message_en) if getattr(exc, "message_vi", None) and getattr(exc, "message_en", None) else None
    detail = response.data if isinstance(exc, exceptions.ValidationError) else None
    response.data = error_body(response.status_code, code, detail, messages)
    return response


def json_error_response(status: int, code: str) -> JsonResponse:
    return JsonResponse(error_body(status, code), status=status, json_dumps_params={"ensure_ascii": False})


class NulInQuery(exceptions.ValidationError):
    message_vi = "Tham số truy vấn chứa ký tự không hợp lệ (NUL)."
    message_en = "A query parameter contains an invalid character (NUL)."


def checked_query(request):
    """``request.query_params`` of a view that reads them itself (no filter form): a value holding
    a NUL character is refused with a 400. PostgreSQL text cannot hold one, so it would otherwise
    fail as a 500 deep in the view's query."""
    params = request.query_params
    bad = sorted(name for name, values in params.lists() if "\x00" in name or any("\x00" in value for value in values))
    if bad:
        raise NulInQuery({name.replace("\x00", "") or "?": [NulInQuery.message_en] for name in bad})
    return params
