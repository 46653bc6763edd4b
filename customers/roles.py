"""Role groups and their permissions, kept in one table so they can be reviewed.

Stylists look after their own clients; Reviewers read the client book and review
emails; Managers see and manage everything. Object-level narrowing (a stylist sees
only their clients) happens in the admin's querysets, see ``customers.selectors``.
"""

from __future__ import annotations

STYLISTS = "Stylists"
REVIEWERS = "Reviewers"
MANAGERS = "Managers"

# app_label -> model -> actions; missing models are skipped, so the table can name
# models that later migrations add (the sync runs again after those migrations).
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    STYLISTS: {
        "customers": {"client": ("view", "change"), "order": ("view", "add", "change")},
        "scoring": {"scoresnapshot": ("view",)},
        "emails": {
            "reengagementemail": ("view", "comment"),
            "emailcomment": ("view", "add"),
        },
    },
    REVIEWERS: {
        "customers": {"client": ("view",), "order": ("view",)},
        "scoring": {"scoresnapshot": ("view",), "modelfit": ("view",)},
        "emails": {
            "reengagementemail": ("view", "change", "review"),
            "emailcomment": ("view", "add"),
            "emailtransition": ("view",),
            "suppression": ("view",),
            "experiment": ("view",),
        },
    },
    MANAGERS: {
        "auth": {"user": ("view", "add", "change")},
        "customers": {
            "client": ("view", "add", "change", "delete"),
            "order": ("view", "add", "change", "delete"),
            "importjob": ("view",),
        },
        "scoring": {"scoresnapshot": ("view",), "modelfit": ("view",)},
        "emails": {
            "reengagementemail": ("view", "change", "review", "comment"),
            "emailcomment": ("view", "add", "change", "delete"),
            "emailtransition": ("view",),
            "suppression": ("view", "add", "change", "delete"),
            "experiment": ("view", "add", "change"),
        },
        "django_celery_beat": {"periodictask": ("view", "change")},
        # API tokens: create (shown once), revoke (change), delete.
        "api": {"apitoken": ("view", "add", "change", "delete")},
        # Login lockouts (django-axes): deleting one unlocks it.
        "axes": {"accessattempt": ("view", "delete")},
    },
}


def roles_sync(apps, *, verbosity: int = 0) -> None:
    """Create the role groups and set exactly the permissions the table gives them.

    Takes an app registry so migrations can pass their historical one. Permissions
    are created first because on a fresh database post_migrate has not run yet.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A historical app config has no models module and create_permissions
        # skips it, so one is faked; the real one must get its own back, or
        # the next flush or migrate sends post_migrate to no app at all.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=verbosity)
        finally:
            app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, apps_table in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for app_label, models in apps_table.items():
            for model_name, actions in models.items():
                codenames = [f"{action}_{model_name}" for action in actions]
                wanted.extend(
                    permission_model.objects.filter(
                        content_type__app_label=app_label,
                        content_type__model=model_name,
                        codename__in=codenames,
                    )
                )
        group.permissions.set(wanted)
