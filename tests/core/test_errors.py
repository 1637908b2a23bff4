from __future__ import annotations

from typing import Any

import httpx
import pytest

import oainb
from oainb import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    OainbError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from tests.core._harness import Recorder


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_codes_map_to_classes_with_the_api_fields(api, status, cls):
    body = {
        "error": {
            "message": "Unsupported parameter: 'foo'.",
            "type": "invalid_request_error",
            "param": "foo",
            "code": "unsupported_parameter",
        }
    }
    rec = Recorder(httpx.Response(status, json=body, headers={"x-request-id": "req_42"}))
    client = api.client(rec, max_retries=0)
    with pytest.raises(cls) as info:
        api.call(client.responses.create, model="m", input="Hi")
    exc: Any = info.value
    assert type(exc) is cls and issubclass(cls, OainbError)
    assert exc.status_code == status and exc.request_id == "req_42"
    assert (exc.type, exc.code, exc.param) == (
        "invalid_request_error",
        "unsupported_parameter",
        "foo",
    )
    assert "Unsupported parameter: 'foo'" in str(exc) and "req_42" in str(exc)
    assert exc.body == body and exc.response.status_code == status
    assert "\n" not in str(exc)


def test_non_json_error_body_still_maps(api):
    rec = Recorder(httpx.Response(502, text="Bad gateway from proxy"))
    client = api.client(rec, max_retries=0)
    with pytest.raises(InternalServerError, match="Bad gateway from proxy"):
        api.call(client.responses.create, model="m", input="Hi")


def test_connection_error_is_ours_and_names_what_to_check(api):
    rec = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
    client = api.client(rec, max_retries=0)
    with pytest.raises(APIConnectionError, match="check the network and base_url") as info:
        api.call(client.responses.retrieve, "resp_1")
    assert not isinstance(info.value, httpx.HTTPError)
    assert info.value.request is not None
    assert info.value.request.url.path == "/v1/responses/resp_1"


def test_timeout_error_is_ours(api):
    rec = Recorder(httpx.ReadTimeout("timed out"))
    client = api.client(rec, max_retries=0)
    with pytest.raises(APITimeoutError) as info:
        api.call(client.responses.create, model="m", input="Hi")
    assert isinstance(info.value, APIConnectionError)


def test_success_without_json_is_a_clear_error(api):
    rec = Recorder(httpx.Response(200, text="<html>login</html>"))
    client = api.client(rec)
    with pytest.raises(oainb.APIError, match="not JSON"):
        api.call(client.responses.create, model="m", input="Hi")


def test_every_exception_is_under_the_root():
    for name in oainb.__all__:
        obj = getattr(oainb, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, OainbError), name
    assert issubclass(oainb.InputError, ValueError)
    assert issubclass(oainb.MissingDependencyError, ImportError)


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            httpx.Response(401, json={"error": "Unauthorized token"}),
            "HTTP 401: Unauthorized token;",
        ),
        (httpx.Response(404, json={"detail": "Not Found"}), "HTTP 404: Not Found;"),
        (
            httpx.Response(503, text="<html>\n<b>Service\nUnavailable</b>\n</html>"),
            "<html> <b>Service Unavailable",
        ),
        (httpx.Response(500, text=""), "HTTP 500: Internal Server Error;"),
    ],
)
def test_error_bodies_of_other_shapes_give_a_one_line_message(api, answer, expected):
    client = api.client(Recorder(answer), max_retries=0)
    with pytest.raises(APIStatusError) as info:
        api.call(client.responses.retrieve, "resp_1")
    assert expected in str(info.value) and "\n" not in str(info.value)
