"""SES throttles, then fails with 5xx, during a batch of sends: nothing doubled or
lost, and the send rate limit holds, counted at a local SES stand-in."""

from __future__ import annotations

from collections import Counter

import pytest

from emails.models import EmailStatus, ReengagementEmail
from emails.tasks import send_email_task
from tests.customers.factories import ClientFactory
from tests.emails.factories import approved_email
from tests.support.ses_standin import THROTTLING, UNAVAILABLE, SesStandIn
from tests.support.waiting import wait_for

EMAILS = 24
RATE_PER_SECOND = 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_throttled_and_unavailable_ses_sends_each_email_once(celery_worker, broker):
    """6 throttled and 3 unavailable answers: every email sent once, at the rate."""
    with SesStandIn() as ses:
        celery_worker(
            env={
                "EMAIL_BACKEND": "django_ses.SESBackend",
                "AWS_ENDPOINT_URL": ses.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SES_REGION_NAME": "us-east-1",
                "AWS_MAX_ATTEMPTS": "1",  # botocore's own retries off: ours count
                "DEFAULT_FROM_EMAIL": "stylists@example.com",
                "SEND_RATE_LIMIT": f"{RATE_PER_SECOND}/s",
            },
            concurrency=8,  # unlimited, 8 threads would burst well past the rate
        )
        ses.script(*[THROTTLING] * 6, *[UNAVAILABLE] * 3)
        ids = []
        for i in range(EMAILS):
            email = approved_email(client=ClientFactory(email=f"ses{i}@example.com"))
            ids.append(email.pk)
        for pk in ids:
            send_email_task.delay(pk)
        sent = ReengagementEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT)
        wait_for(lambda: sent.count() == EMAILS, "every email to be sent", 60.0)
        calls = ses.calls
    accepted = Counter(c.email_id for c in calls if c.status == 200)
    assert accepted == Counter({str(pk): 1 for pk in ids})
    assert Counter(c.status for c in calls) == {200: EMAILS, 400: 6, 503: 3}
    # Celery's token bucket (capacity 1) lets at most 1 + rate x T tasks start
    # in any T seconds; the call reaches SES up to ~0.5 s after the start (the
    # claim, the message, a thread's first boto client), so a second at SES
    # may see 1 + rate x 1.5. Over the run the rate holds.
    times = sorted(c.at for c in calls)
    for window in (1.0, 2.0):
        busiest = max(sum(1 for t in times if s <= t < s + window) for s in times)
        assert busiest <= 1 + RATE_PER_SECOND * (window + 0.5), (window, busiest)
