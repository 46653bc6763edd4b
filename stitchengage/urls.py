"""URL routes: the admin is the product; public pages are few."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "StitchEngage"
admin.site.site_title = "StitchEngage"
admin.site.index_title = "Client retention"

urlpatterns = [
    path("admin/dashboard/", include("emails.dashboard_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("emails.urls")),
]
