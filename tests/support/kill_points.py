"""Kill points for fault tests, imported by a test worker (``include=``).

Each point stops a task the first time it reaches it for a given key: the
process writes ``KILL_DIR/<point>-<key>`` holding its pid and sleeps until the
test SIGKILLs it. Later arrivals (the redelivery, a sweep) pass through.

- ``KILL_POINT=after_llm``: drafting, after the model answered and before the
  draft is saved (keyed by the client's first name).
- ``OnceStallingFileBackend``: sending, inside the provider call before anything
  is sent (keyed by the email id); every message really sent is appended to
  ``KILL_DIR/sent.log``, the count of provider calls that delivered.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


def _stop_once(point: str, key: str) -> None:
    marker = Path(os.environ["KILL_DIR"]) / f"{point}-{key}"
    try:
        with marker.open("x") as file:
            file.write(str(os.getpid()))
    except FileExistsError:
        return
    while True:  # until SIGKILLed
        time.sleep(60)


def _install_after_llm() -> None:
    from emails.services import drafting

    compose = drafting.draft_compose

    def compose_then_stop(*, profile, prompt_version=""):
        result = compose(profile=profile, prompt_version=prompt_version)
        _stop_once("after_llm", profile.first_name)
        return result

    drafting.draft_compose = compose_then_stop


class OnceStallingFileBackend(EmailBackend):
    """Stall the first send of each email until killed; record real sends."""

    def send_messages(self, email_messages):
        from emails.services.sending import EMAIL_ID_HEADER

        for message in email_messages:
            _stop_once("in_send", message.extra_headers[EMAIL_ID_HEADER])
        sent = super().send_messages(email_messages)
        with (Path(os.environ["KILL_DIR"]) / "sent.log").open("a") as log:
            for message in email_messages:
                log.write(f"{message.extra_headers[EMAIL_ID_HEADER]}\n")
        return sent


if os.environ.get("KILL_POINT") == "after_llm":
    import django

    django.setup()
    _install_after_llm()
    # Imported once in the parent, so a child forked after a kill is ready at
    # once instead of importing the SDK again.
    import openai  # noqa: F401

    import emails.drafting.llm_client  # noqa: F401
