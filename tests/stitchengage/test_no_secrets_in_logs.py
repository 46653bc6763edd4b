"""No secret reaches a log line or an error page, anywhere in the pipeline.

Every secret the project holds is set to a recognisable random value; then the
whole flow runs (full rescoring -> a draft from the model, over real HTTP to the
fake OpenAI-compatible server -> approval -> sending) with every logger at DEBUG
(the openai SDK, httpx, botocore, celery and kombu included), followed by a 500
with DEBUG off, a 404 and a 403. None of the values may appear in any record
(message, arguments or traceback), any response, or the sent email.
"""

from __future__ import annotations

import logging
import secrets

import pytest
from django.core import mail
from django.db import connection
from django.urls import include, path

from customers.models import Client
from emails.drafting.llm_client import llm_clients_clear
from emails.models import EmailStatus, ReengagementEmail
from emails.services.review import email_approve
from emails.services.sending import email_send
from emails.tasks import generate_draft_task
from scoring.services.rescoring import clients_rescore
from tests.customers.factories import (
    ClientFactory,
    ReviewerFactory,
    StylistFactory,
)
from tests.emails.conftest import snapshot_make
from tests.scoring.book import book_create
from tests.support.fake_llm_server import FakeLlmServer

pytestmark = pytest.mark.django_db

LOGGERS = (
    "",
    "openai",
    "httpx",
    "httpcore",
    "botocore",
    "boto3",
    "urllib3",
    "celery",
    "kombu",
    "django",
    "django.request",
    "django.db.backends",
    "axes",
    "emails",
    "scoring",
    "customers",
    "stitchengage",
)


def boom(request):
    raise RuntimeError("the view failed")


urlpatterns = [
    path("boom/", boom),
    path("", include("stitchengage.urls")),
]


@pytest.fixture
def fake_llm(settings):
    """The project's LLM settings pointed at the local fake model server."""
    with FakeLlmServer(cost=0.00042) as server:
        settings.LLM_BASE_URL = server.base_url
        settings.LLM_MAX_ATTEMPTS = 2
        yield server
    llm_clients_clear()


@pytest.fixture
def secret_values(settings, monkeypatch, fake_llm) -> dict[str, str]:
    """Give every secret a random value the project actually uses."""
    values = {
        "OPENROUTER_API_KEY": "sk-or-v1-" + secrets.token_hex(24),
        "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
        "SECRET_KEY": "sk-django-" + secrets.token_urlsafe(40),
        "DATABASE_PASSWORD": "dbpw-" + secrets.token_urlsafe(16),
    }
    settings.OPENROUTER_API_KEY = values["OPENROUTER_API_KEY"]
    settings.SECRET_KEY = values["SECRET_KEY"]
    monkeypatch.setenv("OPENROUTER_API_KEY", values["OPENROUTER_API_KEY"])
    monkeypatch.setenv("SECRET_KEY", values["SECRET_KEY"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", values["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", values["AWS_SECRET_ACCESS_KEY"])
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}:{values['DATABASE_PASSWORD']}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}"
    )
    values["DATABASE_URL"] = url
    monkeypatch.setenv("DATABASE_URL", url)
    # The local cluster trusts local connections, so the password is carried
    # (and would be shown by anything printing the connection) but not checked.
    monkeypatch.setitem(db, "PASSWORD", values["DATABASE_PASSWORD"])
    monkeypatch.setitem(
        connection.settings_dict, "PASSWORD", values["DATABASE_PASSWORD"]
    )
    settings.ROOT_URLCONF = __name__
    return values


def everything_logged(caplog) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))  # message, args and traceback
        parts.append(repr(record.args))
        parts.append(repr(getattr(record, "request", "")))
    return "\n".join(parts)


def test_no_secret_in_any_log_or_error_page(
    secret_values, caplog, client, django_capture_on_commit_callbacks
):
    """Score, draft, approve, send and three error pages leak no secret."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    seen: list[str] = []

    # 1. Score the book (a full run fits the model and writes the scores).
    with django_capture_on_commit_callbacks(execute=False):
        book_create(clients=120)
        clients_rescore()
        # 2. A client moves into at risk; the model drafts over HTTP.
        ana = ClientFactory(
            first_name="Ana", stylist=StylistFactory(), marketing_consent=True
        )
        snapshot = snapshot_make(ana)
    assert generate_draft_task.apply(args=(snapshot.pk,)).get() == "pending_review"
    email = ReengagementEmail.objects.get(client=ana)
    assert llm_settings_requests_used_the_key(email, secret_values)

    # 3. A reviewer approves; 4. it is sent (locmem backend).
    with django_capture_on_commit_callbacks(execute=False):
        email = email_approve(email=email, reviewer=ReviewerFactory())
    sent = email_send(email_id=email.pk)
    assert sent.status == EmailStatus.SENT
    seen += [m.message().as_string() for m in mail.outbox]

    # 5. Error pages with DEBUG off: a view that raises, a 404 and a 403.
    client.raise_request_exception = False
    server_error = client.get("/boom/")
    assert server_error.status_code == 500
    assert client.get("/no-such-page/").status_code == 404
    client.force_login(StylistFactory())
    assert client.get("/admin/dashboard/").status_code == 403
    seen += [server_error.content.decode()]

    logged = everything_logged(caplog)
    assert "the view failed" in logged  # the 500 was logged, with its traceback
    assert "HTTP Request: POST" in logged or "Request options" in logged
    assert Client.objects.count() > 100
    leaks = {
        name: value
        for name, value in secret_values.items()
        if value in logged or any(value in text for text in seen)
    }
    assert leaks == {}


def llm_settings_requests_used_the_key(email, values) -> bool:
    """The draft came from the model (so the key was really in use)."""
    return email.provider == "openrouter" and email.prompt_tokens > 0
