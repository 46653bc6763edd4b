"""Public URLs of the emails app (no login): unsubscribe and delivery webhooks."""

app_name = "emails"

urlpatterns: list = []
