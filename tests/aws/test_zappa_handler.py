"""Requests through Zappa's Lambda handler, as API Gateway and function URLs send them.

``zappa.handler.LambdaHandler`` reads a ``zappa_settings`` module that
``zappa package`` generates from zappa_settings.json. The test generates it the
same way (Zappa's own CLI code, production stage), minus the slim handler's S3
project archive: the code under test is already importable here. Events follow
AWS's documented shapes: REST API (payload 1.0), HTTP API and function URL
(payload 2.0). Zappa 0.63 handles 2.0 events in ``LambdaHandler.handler`` (the
``version == "2.0"`` branch: stage taken off ``rawPath``, cookies returned in
``cookies``).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
from zappa.cli import ZappaCLI
from zappa.handler import LambdaHandler

ROOT = Path(__file__).resolve().parents[2]
REST_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
FUNCTION_URL_HOST = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
LOGIN_FORM = 'id="login-form"'

pytestmark = pytest.mark.django_db


def zappa_settings_module_text(stage: str) -> str:
    """Return the zappa_settings.py ``zappa package <stage>`` would write."""
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(settings_file=str(ROOT / "zappa_settings.json"))
    # The slim handler would download the project archive from S3 first.
    cli.override_stage_config_setting("slim_handler", False)
    return cli.get_zappa_settings_string()


@pytest.fixture
def lambda_handler(tmp_path, monkeypatch, settings):
    """A fresh Zappa handler for the production stage, torn down afterwards."""
    (tmp_path / "zappa_settings.py").write_text(
        zappa_settings_module_text("production")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zappa_settings", raising=False)
    settings.ALLOWED_HOSTS = [REST_HOST, FUNCTION_URL_HOST]
    settings.SECURE_SSL_REDIRECT = True  # production's value (off for the test client)
    saved_environ = dict(os.environ)
    root_level = logging.getLogger().level
    LambdaHandler._LambdaHandler__instance = None
    LambdaHandler.settings = None
    try:
        yield LambdaHandler()
    finally:
        LambdaHandler._LambdaHandler__instance = None
        LambdaHandler.settings = None
        os.environ.clear()
        os.environ.update(saved_environ)
        logging.getLogger().setLevel(root_level)


def rest_api_event(path: str, *, proto: str = "https") -> dict:
    """An API Gateway REST API (payload 1.0) proxy event on the default endpoint."""
    headers = {
        "Host": REST_HOST,
        "Accept": "text/html",
        "User-Agent": "Mozilla/5.0",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": proto,
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.strip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/production{path}",
            "stage": "production",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def http_v2_event(path: str, *, host: str) -> dict:
    """An HTTP API or function URL (payload 2.0) event; stage ``$default``."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": host,
            "accept": "text/html",
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": host.split(".")[0],
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:19:00:00 +0000",
            "timeEpoch": 1796151600000,
        },
        "isBase64Encoded": False,
    }


def test_rest_api_event_gets_the_login_page(lambda_handler):
    """A REST API (v1) request is answered by Django's admin login, stage-prefixed."""
    response = lambda_handler.handler(rest_api_event("/admin/login/"), context=None)
    assert response["statusCode"] == 200, response.get("body", "")[:500]
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert LOGIN_FORM in response["body"]
    # The default execute-api URL carries the stage; Django's links must too.
    assert 'action="/production/admin/login/"' in response["body"]
    assert "max-age=31536000" in response["headers"]["Strict-Transport-Security"]


def test_request_the_proxy_calls_http_is_redirected_to_https(lambda_handler):
    """Django takes the scheme from X-Forwarded-Proto, as API Gateway sets it.

    Zappa marks every request https (API Gateway and function URLs accept
    nothing else), so SECURE_SSL_REDIRECT only acts on what the proxy header
    says; this shows the header is read and the redirect is on.
    """
    response = lambda_handler.handler(
        rest_api_event("/admin/login/", proto="http"), context=None
    )
    assert response["statusCode"] == 301
    assert response["headers"]["Location"] == (
        f"https://{REST_HOST}/production/admin/login/"
    )


@pytest.mark.parametrize(
    "host", [REST_HOST, FUNCTION_URL_HOST], ids=["http-api", "function-url"]
)
def test_payload_v2_event_gets_the_login_page(lambda_handler, host):
    """HTTP API and function URL (v2) requests get the login page and secure cookies."""
    response = lambda_handler.handler(http_v2_event("/admin/login/", host=host), None)
    assert response["statusCode"] == 200, (response.get("body") or "")[:500]
    assert LOGIN_FORM in response["body"]
    assert 'action="/admin/login/"' in response["body"]
    # Zappa 0.63 lists each cookie twice (its Set-Cookie case-mangling for v1
    # is applied to v2 too): harmless, the browser sets the same cookie twice.
    csrf_cookies = {c.strip() for c in response["cookies"] if "csrftoken=" in c}
    assert len(csrf_cookies) == 1
    assert "; Secure" in csrf_cookies.pop()
