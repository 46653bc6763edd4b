"""URL routes: the admin is the product; public pages are few."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "StitchEngage"
admin.site.site_title = "StitchEngage"
admin.site.index_title = "Client retention"

urlpatterns = [
    path("admin/", admin.site.urls),
]
