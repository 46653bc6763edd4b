"""Admin screens of the emails app: the review desk, experiments, records.

Registrations only; as Django's ``contrib/admin`` keeps ``actions.py`` apart
from ``options.py``, each screen's parts live in modules named for them:
``review_desk`` (the email list and page), ``review_views`` (decision pages),
``actions`` (bulk actions), ``filters``, ``display`` (the review panel),
``experiments`` and ``records`` (holdout assignments, suppressions).
"""

from django.contrib import admin

from emails.models import (
    Experiment,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)

from .experiments import ExperimentAdmin
from .records import RetentionAssignmentAdmin, SuppressionAdmin
from .review_desk import ReengagementEmailAdmin

admin.site.register(ReengagementEmail, ReengagementEmailAdmin)
admin.site.register(RetentionAssignment, RetentionAssignmentAdmin)
admin.site.register(Suppression, SuppressionAdmin)
admin.site.register(Experiment, ExperimentAdmin)
