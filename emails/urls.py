"""Public URLs of the emails app (no login): unsubscribe and delivery webhooks."""

from django.urls import path

from emails import views, views_sns

app_name = "emails"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # SNS posts SES bounce and complaint events here; emails.services.sns_verify
    # checks the signature (v1 or v2) and topic, then django-ses's signals reach
    # emails.receivers_ses.
    path("ses/events/", views_sns.ses_events, name="ses_events"),
]
