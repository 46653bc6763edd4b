"""Indexes for the admin's email lists at scale (see the Meta comments).

The review queue sorted by (-created_at, -id) within its status, and "All
emails" sorted the whole table (700 ms at 220,000 emails); the prompt variant
filter listed its values by scanning every row.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("emails", "0006_lost_work_sweep_schedule")]

    operations = [
        migrations.AddIndex(
            model_name="reengagementemail",
            index=models.Index(
                fields=["status", "-created_at", "-id"],
                name="emails_reen_status_bcc6eb_idx",
            ),
        ),
        # A prefix of the index above.
        migrations.RemoveIndex(
            model_name="reengagementemail", name="emails_reen_status_dbe570_idx"
        ),
        migrations.AddIndex(
            model_name="reengagementemail",
            index=models.Index(
                fields=["-created_at", "-id"], name="emails_reen_created_47a787_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="reengagementemail",
            index=models.Index(
                fields=["prompt_version"], name="emails_reen_prompt__f09b15_idx"
            ),
        ),
    ]
