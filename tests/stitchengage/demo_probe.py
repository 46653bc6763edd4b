"""Run by test_demo_sqlite.py in a subprocess on the demo's SQLite set-up; prints JSON.

Every test proves behaviour on PostgreSQL; this only checks that the zero-setup
demo (SQLite, eager Celery) answers every admin screen without a 500 for each
role: SQL that PostgreSQL takes and SQLite refuses shows up here.
"""

from __future__ import annotations

import json

import django


def main() -> None:
    django.setup()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    users = get_user_model().objects
    roles = {
        "superuser": users.filter(is_superuser=True).first(),
        "manager": users.get(username="manager"),
        "reviewer": users.get(username="reviewer"),
        "stylist": users.filter(groups__name="Stylists").order_by("username").first(),
    }
    urls = ["/admin/", "/admin/dashboard/"]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
    errors = {}
    statuses: dict[str, int] = {}
    for role, user in roles.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for url in urls:
            status = client.get(url).status_code
            statuses[f"{role} {url}"] = status
            if status >= 500:
                errors[f"{role} {url}"] = status
    print(json.dumps({"urls": len(urls), "errors": errors, "statuses": statuses}))


if __name__ == "__main__":
    main()
