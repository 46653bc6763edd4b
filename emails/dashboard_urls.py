"""Staff-only dashboard URLs, mounted under /admin/dashboard/."""

app_name = "dashboard"

urlpatterns: list = []
