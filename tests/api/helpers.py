"""Assertions shared by the API tests and the isolation matrix."""
import json

from rest_framework.test import APIClient

from mttq_platform.models import ApiToken


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    """The response is the platform's JSON error: status, code, a Vietnamese and an English message."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(response.content)["error"]
    assert error["status"] == status
    assert error["message"] and error["message_en"] and error["message"] != error["message_en"]
    if code is not None:
        assert error["code"] == code
    return error


def result_codes(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [row["code"] for row in response.json()["results"]]


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(user, **token_fields) -> tuple[APIClient, ApiToken]:
    token, key = ApiToken.issue(user, token_fields.pop("name", "test"), **token_fields)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token
