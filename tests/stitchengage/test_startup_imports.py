"""Django's start-up imports what the apps register, not what a request may need.

Every management command pays for ``django.setup()``; ``fit_churn_model`` on a
million clients has a 2.5 s budget for the whole command (issue 14), and the
openai SDK and scipy.stats alone took ~1.5 s of it. They are imported where
they are used (``emails.drafting.llm_client``, the rank and normal-quantile
helpers). A fresh interpreter shows it; this process has imported them already.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Heavy modules no app needs to register its models, admin, tasks or receivers.
NOT_AT_STARTUP = ("openai", "scipy.stats", "lightgbm", "sklearn", "pandas")

PROBE = """
import sys
import django

django.setup()
{extra}
print(",".join(sorted(m for m in {names!r} if m in sys.modules)))
"""


def _imported_after(extra: str = "") -> list[str]:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="stitchengage.settings",
        SECRET_KEY="k" * 20 + "Z9q" * 10,
        AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS="arn:aws:sns:us-east-1:123456789012:t",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra, names=NOT_AT_STARTUP)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [name for name in done.stdout.strip().split(",") if name]


def test_django_setup_imports_no_heavy_library():
    """django.setup() (apps, admin, Celery tasks) skips openai and scipy.stats."""
    assert _imported_after() == []


def test_fit_churn_model_command_module_imports_no_heavy_library():
    """Loading the CSV scoring commands adds none of them either (BG/NBD needs none)."""
    extra = (
        "import scoring.management.commands.fit_churn_model\n"
        "import scoring.management.commands.backtest_churn\n"
    )
    assert _imported_after(extra) == []
