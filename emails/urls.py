"""Public URLs of the emails app (no login): unsubscribe and delivery webhooks."""

from django.urls import path
from django_ses.views import SESEventWebhookView

from emails import views

app_name = "emails"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # SNS posts SES bounce and complaint events here; django-ses checks the
    # signature and topic, then sends the signals emails.receivers_ses handles.
    path("ses/events/", SESEventWebhookView.as_view(), name="ses_events"),
]
