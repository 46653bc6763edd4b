"""``{% nav_sidebar %}``: the admin's sidebar, rendered once per access and page."""

from __future__ import annotations

from django import template
from django.contrib import admin

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    """Return the sidebar as ``admin/nav_sidebar.html`` renders it (cached)."""
    site = admin.site
    if not hasattr(site, "nav_sidebar_html"):  # another site class: no cache
        from django.template.loader import render_to_string

        return render_to_string(
            "admin/nav_sidebar.html", context.flatten(), request=context["request"]
        )
    return site.nav_sidebar_html(context)
