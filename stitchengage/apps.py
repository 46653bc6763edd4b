"""The admin app with this project's site (``stitchengage.admin_site``)."""

from django.contrib.admin.apps import AdminConfig


class StitchAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``SiteWithCachedAppList`` as ``admin.site``."""

    default_site = "stitchengage.admin_site.SiteWithCachedAppList"
