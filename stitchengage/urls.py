"""URL routes: the admin is the product; public pages are few.

The admin lives under ``settings.ADMIN_URL_PATH`` ("admin/" by default), the
retention dashboard under it.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "StitchEngage"
admin.site.site_title = "StitchEngage"
admin.site.index_title = "Client retention"

urlpatterns = [
    path(f"{settings.ADMIN_URL_PATH}dashboard/", include("emails.dashboard_urls")),
    path(settings.ADMIN_URL_PATH, admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("emails.urls")),
]
