"""Staff-only dashboard URLs, mounted under <ADMIN_URL_PATH>dashboard/."""

from django.contrib import admin
from django.urls import path

from emails.dashboard_views import dashboard_index

app_name = "dashboard"

urlpatterns = [
    path("", admin.site.admin_view(dashboard_index), name="index"),
]
