"""Send-time windows: approved emails wait for ``send_after``; the dispatcher sends.

Emails already approved when this runs were enqueued by the old approval path;
they get ``send_after`` = their last change, so the dispatcher sweeps up any whose
enqueue was lost (the send claim makes a second message harmless).
"""

from django.db import migrations, models
from django.db.models import F


def approved_due_now(apps, schema_editor):
    email_model = apps.get_model("emails", "ReengagementEmail")
    email_model.objects.filter(status="approved", send_after__isnull=True).update(
        send_after=F("updated_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('emails', '0002_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='reengagementemail',
            name='dispatched_at',
            field=models.DateTimeField(blank=True, help_text='When the dispatcher (or Send now) last enqueued the send.', null=True),
        ),
        migrations.AddField(
            model_name='reengagementemail',
            name='send_after',
            field=models.DateTimeField(blank=True, help_text='Chosen at approval (emails.services.send_time): the dispatcher enqueues the send once this has passed.', null=True),
        ),
        migrations.AddIndex(
            model_name='reengagementemail',
            index=models.Index(condition=models.Q(('status', 'approved')), fields=['send_after'], name='email_approved_send_after'),
        ),
        migrations.RunPython(approved_due_now, migrations.RunPython.noop),
    ]
