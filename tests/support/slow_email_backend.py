"""A file email backend that stalls mid-send, so a test can kill the worker then."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class StallingFileBackend(EmailBackend):
    """Touch ``STALL_MARKER``, sleep ``STALL_SECONDS``, then write as usual."""

    def send_messages(self, email_messages):
        Path(os.environ["STALL_MARKER"]).touch()
        time.sleep(float(os.environ.get("STALL_SECONDS", "60")))
        return super().send_messages(email_messages)
