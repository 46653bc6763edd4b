"""Every admin URL, action and autocomplete, walked as every role.

The walk reads the URL patterns from the resolver, so a new admin screen shows up
here by itself and the test fails until the table below says who may use it. Object
URLs are filled with stylist B's records: stylist A reaching them is outside A's
book and must be a 404 (or a 403), never a page, a redirect or a write.

Each case is a GET and a forged POST (form data that would change something if
accepted). A refused POST must leave every table as it was; an accepted one must
change it (so the forged data is known to be good enough to matter). No response to
stylist A or to a staff user without a role may name B's client or stylist B.

Outcome codes of the table, per role:

- ``ok``: 200 or a redirect that is not to the login page; an accepted POST
  that ``writes`` must change the database.
- ``noop``: 200 or a redirect, and nothing changed (a form error, an action
  the role does not have).
- ``403``, ``404``: that status; ``no`` means 403 or 404; nothing changed.
- ``405``: method not allowed; nothing changed.
- ``L``: a redirect to the admin login page; nothing changed.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from import_export.tmp_storages import MediaStorage

from api.services.tokens import token_create
from customers.models import Client, ImportJob, Order
from emails.models import EmailComment, Experiment, RetentionAssignment, Suppression
from scoring.models import ModelFit
from tests.customers.factories import ClientFactory, OrderFactory, user_with_role
from tests.emails.conftest import snapshot_make
from tests.emails.factories import DRAFT_BODY, pending_email

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "plain", "stylist", "reviewer", "manager", "superuser")
# Roles for which stylist B's client is outside the book: nothing of B may show.
BLIND = ("anonymous", "plain", "stylist")
# Strings that name B's client, B's draft or stylist B (distinctive on purpose).
SECRETS = ("Quillfeather", "bart.quillfeather@example.com", "Zwolinski")


# --- The world: two stylists' books and everyone else ---


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the records once per module; each case runs in a savepoint of this."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _world_build()
        transaction.set_rollback(True)


def _world_build() -> dict[str, Any]:
    usernames = {
        "plain": "plain",
        "reviewer": "rita",
        "manager": "max",
        "superuser": "root",
    }
    w: dict[str, Any] = {
        "anonymous": None,
        "stylist": user_with_role(
            "stylist", username="alma", first_name="Alma", last_name="Okonkwo"
        ),
        "stylist_b": user_with_role(
            "stylist", username="beatrix", first_name="Beatrix", last_name="Zwolinski"
        ),
        **{role: user_with_role(role, username=u) for role, u in usernames.items()},
    }
    for owner, first, last in (
        ("a", "Ada", "Marchetti"),
        ("b", "Bart", "Quillfeather"),
    ):
        stylist = w[f"stylist_{owner}" if owner == "b" else "stylist"]
        client = ClientFactory(
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.com",
            stylist=stylist,
        )
        orders = [OrderFactory(client=client), OrderFactory(client=client)]
        snapshot = snapshot_make(client)
        draft = pending_email(client, subject=f"A few pieces for you, {last}")
        EmailComment.objects.create(
            email=draft, author=stylist, body=f"{last} just moved to Denver."
        )
        RetentionAssignment.objects.create(
            client=client, snapshot=snapshot, group="treatment", holdout_share=0.1
        )
        w.update(
            {
                f"client_{owner}": client,
                f"order_{owner}": orders[0],
                f"snapshot_{owner}": snapshot,
                f"run_{owner}": snapshot.run,
                f"draft_{owner}": draft,
                f"assignment_{owner}": RetentionAssignment.objects.get(client=client),
            }
        )
    LogEntry.objects.log_actions(
        user_id=w["manager"].pk,
        queryset=[w["client_b"]],
        action_flag=CHANGE,
        change_message=f"Changed notes of {w['client_b']}",
        single_object=True,
    )
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    w.update(
        {
            "group": Group.objects.get(name="Stylists"),
            "modelfit": ModelFit.objects.create(
                n_clients=2,
                n_repeat_clients=2,
                data_end=timezone.localdate(),
                r=1.0,
                alpha=1.0,
                a=1.0,
                b=1.0,
                log_likelihood=-1.0,
            ),
            "importjob": ImportJob.objects.create(
                created_by=w["manager"],
                model="clients",
                file_name="imports/walk/clients.csv",
                status="failed",
                errors=[{"line": 2, "field": "email", "message": "not an email"}],
                error_count=1,
            ),
            "suppression": Suppression.objects.create(
                email="blocked@example.com", reason=Suppression.Reason.MANUAL
            ),
            "experiment": Experiment.objects.create(
                name="walk-ab",
                variants=[
                    {"prompt_version": "v1", "weight": 50},
                    {"prompt_version": "v2", "weight": 50},
                ],
                holdout_share=0.1,
                planned_n_per_arm=686,
            ),
            "interval": interval,
            "crontab": CrontabSchedule.objects.create(minute="0", hour="3"),
            "clocked": ClockedSchedule.objects.create(
                clocked_time=timezone.now() + dt.timedelta(days=1)
            ),
            "solar": SolarSchedule.objects.create(
                event="sunrise", latitude=41.88, longitude=-87.63
            ),
            "apitoken": token_create(
                name="Shop ERP", source="erp", scopes=["orders:write"]
            )[0],
            "lockout": AccessAttempt.objects.create(
                username="locked-out-login",
                ip_address="203.0.113.5",
                user_agent="walk",
                get_data="",
                post_data="",
                http_accept="*/*",
                path_info="/admin/login/",
                failures_since_start=5,
                attempt_time=timezone.now(),
            ),
            "periodictask": PeriodicTask.objects.create(
                name="nightly rescoring",
                task="scoring.tasks.clients_rescore_task",
                interval=interval,
                enabled=True,
            ),
        }
    )
    return w


# --- What a request may change ---

FINGERPRINT_SKIP = {"sessions.session", "contenttypes.contenttype", "auth.permission"}


def db_fingerprint() -> dict[str, str]:
    """Return a digest of every table a request could write, in one query.

    Sessions are left out (logging in and out writes them), and so is
    ``last_login``, which every login moves.
    """
    parts = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in FINGERPRINT_SKIP:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        row = "(to_jsonb(t) - 'last_login')::text"
        digest = f"md5(coalesce(string_agg({row}, '|' ORDER BY {row}), ''))"
        # Table names come from _meta, not from input.
        parts.append(f"SELECT '{model._meta.label_lower}', {digest} FROM {table} t")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def fingerprint_diff(before, after) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def privileges() -> dict[str, Any]:
    """Return who is a superuser, and every user's groups and own permissions."""
    return {
        "superusers": set(
            User.objects.filter(is_superuser=True).values_list("pk", flat=True)
        ),
        "groups": {
            (user_id, group_id)
            for user_id, group_id in User.groups.through.objects.values_list(
                "user_id", "group_id"
            )
        },
        "user_permissions": set(
            User.user_permissions.through.objects.values_list(
                "user_id", "permission_id"
            )
        ),
        "group_permissions": set(
            Group.permissions.through.objects.values_list("group_id", "permission_id")
        ),
    }


def assert_no_escalation(user: User, before, after) -> None:
    """A non-superuser hands out no power they lack, and never superuser."""
    assert after["superusers"] == before["superusers"], "superuser status changed"
    assert after["user_permissions"] == before["user_permissions"], (
        "direct user permissions changed"
    )
    assert after["group_permissions"] == before["group_permissions"], (
        "group permissions changed"
    )
    mine = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(group__user=user).select_related(
            "content_type"
        )
    }
    for user_id, group_id in after["groups"] - before["groups"]:
        assert user_id != user.pk, "a user added themselves to a group"
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Permission.objects.filter(group=group_id).select_related(
                "content_type"
            )
        }
        assert granted <= mine, f"granted group {group_id} holds more than the granter"


# --- Forged form data ---


def _split(moment: dt.datetime, name: str) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {f"{name}_0": f"{local:%Y-%m-%d}", f"{name}_1": f"{local:%H:%M:%S}"}


def client_form(w, client: Client, **changes) -> dict[str, Any]:
    data = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "email": client.email,
        "phone": "",
        "city": client.city,
        "time_zone": client.time_zone,
        "signup_date": client.signup_date.isoformat(),
        "external_id": "",
        "stylist": str(client.stylist_id or ""),
        "preferred_styles": ["casual"],
        "size_top": "M",
        "size_bottom": "8",
        "size_shoe": "8.5",
        "budget_band": client.budget_band,
        "marketing_consent": "on",
        "unsubscribed_at_0": "",
        "unsubscribed_at_1": "",
        "stylist_notes": "",
        "orders-TOTAL_FORMS": "0",
        "orders-INITIAL_FORMS": "0",
        "orders-MIN_NUM_FORMS": "0",
        "orders-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def order_form(client: Client, **changes) -> dict[str, Any]:
    data = {
        "client": str(client.pk),
        **_split(timezone.now() - dt.timedelta(days=3), "ordered_at"),
        **_split(timezone.now() - dt.timedelta(days=1), "shipped_at"),
        "status": "kept",
        "items_sent": "5",
        "items_kept": "1",
        "kept_items": "forged jacket",
        "amount": "77.00",
        "rating": "5",
        "feedback_comment": "",
    }
    data.update(changes)
    return data


def user_form(w, user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": "Forged",
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(Group.objects.get(name="Managers").pk)],
        "user_permissions": [str(Permission.objects.get(codename="delete_user").pk)],
        **_split(user.date_joined, "date_joined"),
        "last_login_0": "",
        "last_login_1": "",
    }


def import_upload(model: str) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "resource": "0",
        "format": _csv_format(model, "import"),
        "import_file": SimpleUploadedFile(
            "forged.csv", IMPORT_CSV[model].encode(), content_type="text/csv"
        ),
    }


def import_confirm(model: str) -> dict[str, Any]:
    storage = MediaStorage(
        name=f"forged-{uuid.uuid4().hex}", MEDIA_FOLDER="imports/confirm"
    )
    storage.save(IMPORT_CSV[model])
    return {
        "import_file_name": storage.name,
        "original_file_name": "forged.csv",
        "format": _csv_format(model, "import"),
        "resource": "0",
    }


IMPORT_CSV = {
    "client": "email,first_name,stylist\nbart.quillfeather@example.com,Forged,alma\n",
    "order": (
        "client_email,ordered_at,status,items_sent,items_kept,amount\n"
        "bart.quillfeather@example.com,2024-03-01 12:00:00,kept,5,2,120.00\n"
    ),
}


def _csv_format(model: str, kind: str) -> str:
    model_admin = admin.site._registry[apps.get_model("customers", model)]
    formats = getattr(model_admin, f"get_{kind}_formats")()
    return str([f().get_title().lower() for f in formats].index("csv"))


def export_form(model: str) -> dict[str, Any]:
    prefix = f"{model}resource"
    return {
        "resource": "0",
        "format": _csv_format(model, "export"),
        f"{prefix}_email" if model == "client" else f"{prefix}_client": "on",
        f"{prefix}_first_name" if model == "client" else f"{prefix}_amount": "on",
    }


def action(name: str, *pks: int, **extra) -> dict[str, Any]:
    return {
        "action": name,
        "_selected_action": [str(pk) for pk in pks],
        "index": "0",
        "post": "yes",
        **extra,
    }


# --- The table ---


@dataclass(frozen=True)
class Url:
    """Who may GET and POST one admin URL, and what the forged POST sends."""

    get: tuple[str, ...]  # one code per role, in ROLES order
    post: tuple[str, ...]
    obj: str | None = None  # world key whose pk fills <object_id>
    data: Any = None  # callable(w) -> POST data
    writes: bool = False  # an accepted POST must change the database
    query: Any = None  # callable(w) -> GET query (``?field=`` pre-fills)
    params: dict[str, Any] = field(default_factory=dict)  # other path params


# Role profiles, one code per role in ROLES order:
#            anon  plain  stylist reviewer manager superuser
STAFF_OK = ("L", "ok", "ok", "ok", "ok", "ok")
SU_ONLY = ("L", "403", "403", "403", "403", "ok")
READ_ONLY = ("L", "403", "403", "403", "403", "403")  # no add/change/delete at all
MANAGERS_ONLY = ("L", "403", "403", "403", "ok", "ok")
REVIEWERS_UP = ("L", "403", "403", "ok", "ok", "ok")
REVIEWERS_LOOK_MANAGERS_WRITE = ("L", "403", "403", "noop", "ok", "ok")
ANY_ROLE = ("L", "403", "ok", "ok", "ok", "ok")  # every role, not plain staff
# An app's page: an app the user may see nothing of is a 404.
ANY_ROLE_ELSE_404 = ("L", "404", "ok", "ok", "ok", "ok")
MANAGERS_ELSE_404 = ("L", "404", "404", "404", "ok", "ok")
NOWHERE = ("L", "404", "404", "404", "404", "404")
POST_ONLY = ("L", "405", "405", "405", "405", "405")
REDIRECTED = ("L", "302", "302", "302", "302", "302")
# B's records, outside stylist A's book (A gets a 404).
B_REVIEWERS_UP = ("L", "404", "404", "ok", "ok", "ok")
B_MANAGERS_ONLY = ("L", "404", "404", "403", "ok", "ok")
DRAFT_B_REVIEWERS_UP = ("L", "no", "404", "ok", "ok", "ok")
DRAFT_B_NOBODY = ("L", "no", "404", "403", "403", "403")
DRAFT_B_POST_ONLY = ("L", "no", "404", "405", "405", "405")
USER_B_MANAGERS = ("L", "no", "403", "no", "ok", "ok")  # stylist B's account


def model_urls(
    label: str,
    obj: str,
    *,
    changelist: tuple[tuple[str, ...], tuple[str, ...]],
    add: tuple[tuple[str, ...], tuple[str, ...]],
    change: tuple[tuple[str, ...], tuple[str, ...]],
    delete: tuple[tuple[str, ...], tuple[str, ...]],
    history: tuple[str, ...],
    changelist_post: Any = None,
    add_post: Any = None,
    add_query: Any = None,
    change_post: Any = None,
    writes: tuple[bool, bool, bool] = (True, True, True),
) -> dict[str, Url]:
    """Return the six standard URLs of one ModelAdmin (pass each one's codes)."""
    app, model = label.split(".")
    name = f"admin:{app}_{model}"
    return {
        f"{name}_changelist": Url(
            changelist[0],
            changelist[1],
            data=changelist_post,
            writes=changelist_post is not None and writes[0],
        ),
        f"{name}_add": Url(
            add[0],
            add[1],
            data=add_post,
            writes=add_post is not None and writes[1],
            query=add_query,
        ),
        f"{name}_change": Url(
            change[0],
            change[1],
            obj=obj,
            data=change_post,
            writes=change_post is not None and writes[2],
        ),
        f"{name}_delete": Url(
            delete[0],
            delete[1],
            obj=obj,
            data=lambda w: {"post": "yes"},
            writes=True,
        ),
        f"{name}_history": Url(history, history, obj=obj),
        f"admin/{app}/{model}/<path:object_id>/": Url(
            REDIRECTED,
            REDIRECTED,
            obj=obj,
        ),
    }


def _delete_selected(key: str):
    return lambda w: action("delete_selected", w[key].pk)


def superuser_urls(label: str, obj: str, **posts: Any) -> dict[str, Url]:
    """Return the standard URLs of a ModelAdmin only the superuser may use."""
    everything = (SU_ONLY, SU_ONLY)
    return model_urls(
        label,
        obj,
        changelist=everything,
        add=everything,
        change=everything,
        delete=everything,
        history=SU_ONLY,
        changelist_post=_delete_selected(obj),
        **posts,
    )


def read_only_urls(label: str, obj: str, viewers: tuple[str, ...]) -> dict[str, Url]:
    """Return the standard URLs of a read-only ModelAdmin that ``viewers`` may see."""
    return model_urls(
        label,
        obj,
        changelist=(viewers, viewers),
        add=(READ_ONLY, READ_ONLY),
        change=(viewers, READ_ONLY),
        delete=(READ_ONLY, READ_ONLY),
        history=viewers,
    )


def import_export_urls(model: str) -> dict[str, Url]:
    """Return a customers model's import (Managers) and export (any role) URLs."""
    name = f"admin:customers_{model}"
    return {
        f"{name}_import": Url(
            MANAGERS_ONLY, MANAGERS_ONLY, data=lambda w: import_upload(model)
        ),
        f"{name}_process_import": Url(
            POST_ONLY,
            MANAGERS_ONLY,
            data=lambda w: import_confirm(model),
            writes=True,
        ),
        f"{name}_export": Url(ANY_ROLE, ANY_ROLE, data=lambda w: export_form(model)),
    }


def draft_b_url(get, post, data, *, writes: bool = True) -> Url:
    """Return one review view of B's draft (a POST that, accepted, writes)."""
    return Url(get, post, obj="draft_b", data=data, writes=writes)


EXPECT: dict[str, Url] = {
    # -- the site itself -------------------------------------------------------
    "admin:index": Url(STAFF_OK, STAFF_OK),
    "admin:login": Url(
        ("ok",) * 6, ("ok",) * 6, data=lambda w: {"username": "x", "password": "y"}
    ),
    "admin:logout": Url(("ok", *("405",) * 5), ("ok",) * 6),
    "admin:password_change": Url(
        STAFF_OK,
        STAFF_OK,
        data=lambda w: {
            "old_password": "wrong",
            "new_password1": "Forged-pass-1234",
            "new_password2": "Forged-pass-1234",
        },
    ),
    "admin:password_change_done": Url(STAFF_OK, ("L", *("405",) * 5)),
    "admin:jsi18n": Url(STAFF_OK, ("L", *("405",) * 5)),
    "admin:autocomplete": Url(
        ANY_ROLE,
        ("L", *("405",) * 5),
        query=lambda w: {
            "app_label": "customers",
            "model_name": "order",
            "field_name": "client",
        },
    ),
    # Client has no page outside the admin: nothing to redirect to, for anyone.
    "admin:view_on_site": Url(
        NOWHERE,
        NOWHERE,
        params={
            "content_type_id": lambda w: ContentType.objects.get_for_model(Client).pk,
            "object_id": lambda w: w["client_b"].pk,
        },
    ),
    "admin:app_list:auth": Url(MANAGERS_ELSE_404, MANAGERS_ELSE_404),
    "admin:app_list:axes": Url(MANAGERS_ELSE_404, MANAGERS_ELSE_404),
    "admin:app_list:django_celery_beat": Url(MANAGERS_ELSE_404, MANAGERS_ELSE_404),
    "admin:app_list:api": Url(MANAGERS_ELSE_404, MANAGERS_ELSE_404),
    "admin:app_list:customers": Url(ANY_ROLE_ELSE_404, ANY_ROLE_ELSE_404),
    "admin:app_list:scoring": Url(ANY_ROLE_ELSE_404, ANY_ROLE_ELSE_404),
    "admin:app_list:emails": Url(ANY_ROLE_ELSE_404, ANY_ROLE_ELSE_404),
    "admin/(?P<url>.*)$": Url(
        NOWHERE,
        NOWHERE,
        params={"url": lambda w: "no-such-screen/"},
    ),
    "dashboard:index": Url(REVIEWERS_UP, REVIEWERS_UP),
    # -- auth: managers look after staff accounts; groups are the superuser's ---
    **superuser_urls(
        "auth.group",
        "group",
        add_post=lambda w: {"name": "Forged"},
        change_post=lambda w: {"name": "Forged"},
    ),
    **model_urls(
        "auth.user",
        "stylist_b",
        changelist=(MANAGERS_ONLY, ("L", "403", "403", "403", "noop", "ok")),
        add=(MANAGERS_ONLY,) * 2,
        # An account holding more power than the viewer is not in their list:
        # plain staff and reviewers get a 404 for stylist B (by the table,
        # their user screens are a 403 anyway).
        change=(USER_B_MANAGERS,) * 2,
        delete=(("L", "no", "403", "no", "403", "ok"),) * 2,
        history=USER_B_MANAGERS,
        changelist_post=_delete_selected("stylist_b"),
        add_post=lambda w: {
            "username": "forged",
            "usable_password": "true",
            "password1": "Forged-pass-1234",
            "password2": "Forged-pass-1234",
        },
        change_post=lambda w: user_form(w, w["stylist_b"]),
    ),
    "admin:auth_user_password_change": Url(
        USER_B_MANAGERS,
        USER_B_MANAGERS,
        params={"id": lambda w: w["stylist_b"].pk},
        data=lambda w: {
            "usable_password": "true",
            "password1": "Forged-pass-1234",
            "password2": "Forged-pass-1234",
        },
        writes=True,
    ),
    # -- axes: managers see login lockouts and unlock them (delete) ---------------
    **model_urls(
        "axes.accessattempt",
        "lockout",
        changelist=(MANAGERS_ONLY,) * 2,
        add=(READ_ONLY, READ_ONLY),
        change=(MANAGERS_ONLY, READ_ONLY),
        delete=(MANAGERS_ONLY,) * 2,
        history=MANAGERS_ONLY,
        changelist_post=lambda w: action("unlock_selected", w["lockout"].pk),
    ),
    # -- django_celery_beat: managers pause and edit the schedule -----------------
    **model_urls(
        "django_celery_beat.periodictask",
        "periodictask",
        changelist=(MANAGERS_ONLY,) * 2,
        add=(SU_ONLY, SU_ONLY),
        change=(MANAGERS_ONLY,) * 2,
        delete=(SU_ONLY, SU_ONLY),
        history=MANAGERS_ONLY,
        changelist_post=lambda w: action("disable_tasks", w["periodictask"].pk),
    ),
    **superuser_urls("django_celery_beat.clockedschedule", "clocked"),
    **superuser_urls("django_celery_beat.crontabschedule", "crontab"),
    **superuser_urls("django_celery_beat.solarschedule", "solar"),
    # The interval is in use by the task (PROTECT): the superuser's delete
    # stops at the "cannot delete" page.
    **superuser_urls(
        "django_celery_beat.intervalschedule", "interval", writes=(False, True, True)
    ),
    # -- customers: the book --------------------------------------------------
    **model_urls(
        "customers.client",
        "client_b",
        changelist=(
            ANY_ROLE,
            # Nobody deletes a client with drafts or scores through the admin
            # (those audit records are not deletable): the cascade is a 403.
            ("L", "403", "noop", "noop", "403", "403"),
        ),
        add=(MANAGERS_ONLY, MANAGERS_ONLY),
        change=(B_REVIEWERS_UP, B_MANAGERS_ONLY),
        delete=(B_MANAGERS_ONLY, ("L", "404", "404", "403", "403", "403")),
        history=B_REVIEWERS_UP,
        changelist_post=_delete_selected("client_b"),
        add_post=lambda w: client_form(
            w,
            Client(
                first_name="Forged",
                email="forged@example.com",
                signup_date=timezone.localdate(),
                time_zone="America/Chicago",
                budget_band="moderate",
                stylist=w["stylist"],
            ),
        ),
        add_query=lambda w: {"stylist": w["stylist_b"].pk},
        change_post=lambda w: client_form(
            w, w["client_b"], stylist=str(w["stylist"].pk), first_name="Forged"
        ),
    ),
    **import_export_urls("client"),
    **model_urls(
        "customers.order",
        "order_b",
        changelist=(ANY_ROLE, ("L", "403", "noop", "noop", "ok", "ok")),
        # A stylist may add Fixes, but only for their own clients: B's client
        # is not a choice (the form refuses it) nor shown when pre-filled.
        add=(
            ("L", "403", "ok", "403", "ok", "ok"),
            ("L", "403", "noop", "403", "ok", "ok"),
        ),
        change=(B_REVIEWERS_UP, B_MANAGERS_ONLY),
        delete=(B_MANAGERS_ONLY, B_MANAGERS_ONLY),
        history=B_REVIEWERS_UP,
        changelist_post=_delete_selected("order_b"),
        add_post=lambda w: order_form(w["client_b"]),
        add_query=lambda w: {"client": w["client_b"].pk},
        change_post=lambda w: order_form(w["client_b"], amount="1.00"),
    ),
    **import_export_urls("order"),
    # Background import jobs: read-only, Managers only (their errors quote files
    # of the whole book).
    **read_only_urls("customers.importjob", "importjob", MANAGERS_ONLY),
    # -- scoring: read-only audit data -----------------------------------------
    **read_only_urls("scoring.modelfit", "modelfit", REVIEWERS_UP),
    **read_only_urls("scoring.scoringrun", "run_b", SU_ONLY),
    **model_urls(
        "scoring.scoresnapshot",
        "snapshot_b",
        changelist=(ANY_ROLE,) * 2,
        add=(READ_ONLY, READ_ONLY),
        change=(DRAFT_B_REVIEWERS_UP, DRAFT_B_NOBODY),
        delete=(DRAFT_B_NOBODY, DRAFT_B_NOBODY),
        history=DRAFT_B_REVIEWERS_UP,
    ),
    # -- emails: the review desk ---------------------------------------------------
    **model_urls(
        "emails.reengagementemail",
        "draft_b",
        changelist=(ANY_ROLE, ("L", "403", "noop", "ok", "ok", "ok")),
        add=(READ_ONLY, READ_ONLY),
        change=(DRAFT_B_REVIEWERS_UP, DRAFT_B_NOBODY),
        delete=(DRAFT_B_NOBODY, DRAFT_B_NOBODY),
        history=DRAFT_B_REVIEWERS_UP,
        changelist_post=lambda w: action("approve_selected", w["draft_b"].pk),
        change_post=lambda w: {"subject": "Forged", "status": "approved"},
    ),
    "admin:emails_reengagementemail_approve": draft_b_url(
        DRAFT_B_POST_ONLY,
        DRAFT_B_REVIEWERS_UP,
        lambda w: {},
    ),
    "admin:emails_reengagementemail_edit": draft_b_url(
        DRAFT_B_REVIEWERS_UP,
        DRAFT_B_REVIEWERS_UP,
        lambda w: {
            "subject": "A few pieces for you, Bart",
            "preheader": "Your stylist has some ideas for spring",
            "body": DRAFT_BODY.replace("Ana", "Bart"),
        },
    ),
    "admin:emails_reengagementemail_reject": draft_b_url(
        DRAFT_B_REVIEWERS_UP,
        DRAFT_B_REVIEWERS_UP,
        lambda w: {"reason": "Forged rejection"},
    ),
    "admin:emails_reengagementemail_regenerate": draft_b_url(
        DRAFT_B_POST_ONLY,
        DRAFT_B_REVIEWERS_UP,
        lambda w: {},
    ),
    # draft_b is pending review, not approved: Send now refuses it and writes
    # nothing (tests/emails/test_dispatch_admin.py sends an approved one).
    "admin:emails_reengagementemail_send_now": draft_b_url(
        DRAFT_B_POST_ONLY,
        ("L", "no", "404", "noop", "noop", "noop"),
        lambda w: {},
        writes=False,
    ),
    "admin:emails_reengagementemail_comment": draft_b_url(
        DRAFT_B_POST_ONLY,
        DRAFT_B_REVIEWERS_UP,
        lambda w: {"body": "Forged comment"},
    ),
    **read_only_urls("emails.retentionassignment", "assignment_b", SU_ONLY),
    # Managers start (add) and stop (action) experiments; Reviewers look. A forged
    # start is refused by the form while walk-ab runs, so it writes nothing.
    **model_urls(
        "emails.experiment",
        "experiment",
        changelist=(REVIEWERS_UP, REVIEWERS_LOOK_MANAGERS_WRITE),
        add=(MANAGERS_ONLY, MANAGERS_ONLY),
        change=(REVIEWERS_UP, MANAGERS_ONLY),
        delete=(READ_ONLY, READ_ONLY),
        history=REVIEWERS_UP,
        changelist_post=lambda w: action("stop_selected", w["experiment"].pk),
        add_post=lambda w: {
            "name": "forged-ab",
            "prompt_versions": "v1,v2",
            "holdout_share": "0.1",
        },
        change_post=lambda w: {"name": "forged-rename"},
        writes=(True, False, False),
    ),
    **model_urls(
        "emails.suppression",
        "suppression",
        changelist=(REVIEWERS_UP, REVIEWERS_LOOK_MANAGERS_WRITE),
        add=(MANAGERS_ONLY,) * 2,
        change=(REVIEWERS_UP, MANAGERS_ONLY),
        delete=(MANAGERS_ONLY,) * 2,
        history=REVIEWERS_UP,
        changelist_post=_delete_selected("suppression"),
        add_post=lambda w: {"email": "forged@example.com", "reason": "manual"},
        add_query=lambda w: {"email": w["client_b"].email},
        change_post=lambda w: {"email": "forged@example.com", "reason": "complaint"},
    ),
    **model_urls(
        "api.apitoken",
        "apitoken",
        changelist=(MANAGERS_ONLY, MANAGERS_ONLY),
        add=(MANAGERS_ONLY, MANAGERS_ONLY),
        change=(MANAGERS_ONLY, MANAGERS_ONLY),
        delete=(MANAGERS_ONLY, MANAGERS_ONLY),
        history=MANAGERS_ONLY,
        changelist_post=lambda w: action("revoke", w["apitoken"].pk),
        add_post=lambda w: {
            "name": "Forged",
            "source": "forged",
            "scopes": ["orders:write"],
        },
        change_post=lambda w: {"name": "Forged", "scopes": ["emails:read"]},
    ),
}


# --- Walking the resolver ---


@dataclass(frozen=True)
class Route:
    key: str
    route: str  # the full path pattern, e.g. "admin/customers/client/<path:...>/"
    name: str | None


def admin_routes() -> list[Route]:
    """Return every URL pattern under /admin/, recursively, keyed for the table."""
    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not route.startswith("admin/"):
                    continue
                if pattern.name == "app_list":
                    # One entry per app: each has its own audience.
                    labels = re.search(r"\(\?P<app_label>([^)]*)\)", route).group(1)
                    for label in labels.split("|"):
                        found.append(
                            Route(f"{namespace}:app_list:{label}", route, None)
                        )
                elif pattern.name:
                    found.append(Route(f"{namespace}:{pattern.name}", route, None))
                else:
                    found.append(Route(route, route, None))

    walk(get_resolver().url_patterns, "", None)
    return found


def route_path(r: Route, url: Url, w) -> str:
    """Fill a route's parameters: B's record for an object, fixed values else."""
    if r.key.startswith("admin:app_list:"):
        return "/admin/" + r.key.rsplit(":", 1)[1] + "/"
    params = {name: value(w) for name, value in url.params.items()}
    if url.obj:
        params.setdefault("object_id", w[url.obj].pk)
    if r.route.endswith("(?P<url>.*)$"):
        return "/admin/" + params["url"]

    def fill(match: re.Match) -> str:
        return str(params[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, r.route)


def test_the_table_classifies_every_admin_url():
    """Every admin URL has an entry, and every entry is still a URL."""
    found = {r.key for r in admin_routes()}
    assert sorted(found - EXPECT.keys()) == [], "admin URLs missing from EXPECT"
    assert sorted(EXPECT.keys() - found) == [], "EXPECT names URLs that are gone"


def _walk_cases():
    routes = {r.key: r for r in admin_routes()}
    for key in sorted(EXPECT.keys() & routes.keys()):
        for method in ("GET", "POST"):
            for role in ROLES:
                yield pytest.param(
                    routes[key], role, method, id=f"{key}-{method}-{role}"
                )


def _login(http, w, role: str) -> None:
    if w[role] is not None:
        http.force_login(w[role])


def check_outcome(response, code: str, *, changed: list[str]) -> None:
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and "/admin/login/" in location
    if code == "L":
        assert to_login, f"expected a redirect to login, got {status} {location}"
    elif code in ("ok", "noop"):
        assert status in (200, 302), f"expected 200/302, got {status}"
        assert not to_login, "sent to the login page"
    elif code == "302":
        assert status == 302
        assert not to_login
    elif code == "no":
        assert status in (403, 404), f"expected 403/404, got {status}"
    else:
        assert status == int(code), f"expected {code}, got {status}"
    if code != "ok":
        assert changed == [], f"a refused request changed {changed}"


def assert_nothing_secret(response, role: str) -> None:
    if role not in BLIND:
        return
    content = b"".join(response) if response.streaming else response.content
    text = content.decode(errors="replace")
    leaked = [s for s in SECRETS if s in text]
    assert leaked == [], f"{role} was shown {leaked}"


@pytest.mark.parametrize(("r", "role", "method"), list(_walk_cases()))
def test_role_walk(client, world, r: Route, role: str, method: str):
    """Each role gets exactly what the table says; a refusal writes nothing."""
    w = world
    url = EXPECT[r.key]
    path = route_path(r, url, w)
    codes = url.get if method == "GET" else url.post
    code = codes[ROLES.index(role)]
    _login(client, w, role)
    if method == "GET":
        response = client.get(path, url.query(w) if url.query else {})
        check_outcome(response, code, changed=[])
        assert_nothing_secret(response, role)
        return
    before, privs = db_fingerprint(), privileges()
    response = client.post(path, url.data(w) if url.data else {})
    changed = fingerprint_diff(before, db_fingerprint())
    check_outcome(response, code, changed=changed)
    if code == "ok" and url.writes:
        assert changed, "an accepted forged POST changed nothing: is its data valid?"
    if role not in ("anonymous", "superuser"):
        assert_no_escalation(w[role], privs, privileges())
    assert_nothing_secret(response, role)


# --- Admin actions ---

# Which roles get each action (by the role table); the walk below asserts this,
# then fires every action at B's records as each role that must not touch them.
ACTION_ROLES: dict[tuple[str, str], set[str]] = {
    ("auth.group", "delete_selected"): set(),
    ("auth.user", "delete_selected"): set(),
    ("axes.accessattempt", "unlock_selected"): {"manager"},
    ("django_celery_beat.periodictask", "delete_selected"): set(),
    ("django_celery_beat.periodictask", "enable_tasks"): {"manager"},
    ("django_celery_beat.periodictask", "disable_tasks"): {"manager"},
    ("django_celery_beat.periodictask", "toggle_tasks"): {"manager"},
    ("django_celery_beat.periodictask", "run_tasks"): {"manager"},
    ("django_celery_beat.clockedschedule", "delete_selected"): set(),
    ("django_celery_beat.crontabschedule", "delete_selected"): set(),
    ("django_celery_beat.solarschedule", "delete_selected"): set(),
    ("django_celery_beat.intervalschedule", "delete_selected"): set(),
    ("customers.client", "delete_selected"): {"manager"},
    ("customers.order", "delete_selected"): {"manager"},
    ("customers.importjob", "retry_failed"): {"manager"},
    ("emails.reengagementemail", "approve_selected"): {"reviewer", "manager"},
    ("emails.reengagementemail", "reject_selected"): {"reviewer", "manager"},
    ("emails.reengagementemail", "send_now_selected"): {"reviewer", "manager"},
    ("emails.reengagementemail", "confirm_sent_selected"): {"reviewer", "manager"},
    ("emails.reengagementemail", "resend_selected"): {"reviewer", "manager"},
    ("emails.suppression", "delete_selected"): {"manager"},
    ("emails.experiment", "stop_selected"): {"manager"},
    ("api.apitoken", "delete_selected"): {"manager"},
    ("api.apitoken", "revoke"): {"manager"},
}
ACTION_OBJECT = {
    "auth.group": "group",
    "auth.user": "stylist_b",
    "axes.accessattempt": "lockout",
    "django_celery_beat.periodictask": "periodictask",
    "django_celery_beat.clockedschedule": "clocked",
    "django_celery_beat.crontabschedule": "crontab",
    "django_celery_beat.solarschedule": "solar",
    "django_celery_beat.intervalschedule": "interval",
    "customers.client": "client_b",
    "customers.order": "order_b",
    "customers.importjob": "importjob",
    "emails.reengagementemail": "draft_b",
    "emails.suppression": "suppression",
    "emails.experiment": "experiment",
    "api.apitoken": "apitoken",
}
# Roles that see B's records: for them an allowed action is in scope.
SEES_B = {"reviewer", "manager", "superuser"}


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_action_is_classified(world):
    """The actions each role is offered are exactly those the table gives it."""
    offered: dict[tuple[str, str], set[str]] = {}
    for model, model_admin in admin.site._registry.items():
        for role in ("plain", "stylist", "reviewer", "manager", "superuser"):
            request = _request_as(world[role])
            if not model_admin.has_view_or_change_permission(request):
                continue  # the changelist, and so every action, is a 403
            for name in model_admin.get_actions(request):
                offered.setdefault((model._meta.label_lower, name), set()).add(role)
    assert {key: roles - {"superuser"} for key, roles in offered.items()} == (
        ACTION_ROLES
    )


def _action_cases():
    for (label, name), allowed in sorted(ACTION_ROLES.items()):
        for role in ("plain", "stylist", "reviewer", "manager"):
            if role in allowed and role in SEES_B:
                continue  # in scope and permitted: not a forgery
            yield pytest.param(label, name, role, id=f"{label}-{name}-{role}")


@pytest.mark.parametrize(("label", "name", "role"), list(_action_cases()))
def test_forged_action_changes_nothing(client, world, label, name, role):
    """An action fired at B's records by A, or by a role without it, does nothing."""
    app, model = label.split(".")
    client.force_login(world[role])
    before = db_fingerprint()
    response = client.post(
        reverse(f"admin:{app}_{model}_changelist"),
        action(name, world[ACTION_OBJECT[label]].pk, apply="1", reason="Forged"),
    )
    assert response.status_code in (200, 302, 403)
    assert fingerprint_diff(before, db_fingerprint()) == []
    assert_nothing_secret(response, role)


def test_allowed_action_does_change_things(client, world):
    """The forged action data is good: a reviewer's approve does approve."""
    client.force_login(world["reviewer"])
    client.post(
        reverse("admin:emails_reengagementemail_changelist"),
        action("approve_selected", world["draft_b"].pk),
    )
    world["draft_b"].refresh_from_db()
    assert world["draft_b"].status == "approved"


# --- Autocomplete ---

# Who may list the targets of each autocomplete field, and whether the list is
# narrowed to the role's own book ("own") or whole ("all").
AUTOCOMPLETE: dict[str, dict[str, str]] = {
    "customers.client.stylist": {
        "plain": "403",
        "stylist": "403",
        "reviewer": "403",
        "manager": "all",
    },
    "customers.order.client": {
        "plain": "403",
        "stylist": "own",
        "reviewer": "all",
        "manager": "all",
    },
}


def autocomplete_fields() -> set[str]:
    return {
        f"{model._meta.label_lower}.{name}"
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.autocomplete_fields
    }


def test_every_autocomplete_field_is_classified():
    """A new autocomplete field needs a row saying who may search it."""
    assert autocomplete_fields() == AUTOCOMPLETE.keys()


@pytest.mark.parametrize(
    ("source", "role"),
    [
        (s, r)
        for s in sorted(AUTOCOMPLETE)
        for r in ("plain", "stylist", "reviewer", "manager")
    ],
)
def test_autocomplete_lists_only_the_book(client, world, source, role):
    """A stylist finds only their own clients; only managers search users."""
    app, model, field_name = source.split(".")
    expected = AUTOCOMPLETE[source][role]
    client.force_login(world[role])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field_name, "term": ""},
    )
    if expected == "403":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    remote = apps.get_model(app, model)._meta.get_field(field_name).related_model
    if expected == "own":
        assert ids == {str(world["client_a"].pk)}
    elif remote is Client:
        assert ids == {str(pk) for pk in Client.objects.values_list("pk", flat=True)}
    else:
        assert str(world["stylist_b"].pk) in ids


# --- Pre-fills, exports and list filters, spelled out ---


def test_order_add_prefill_does_not_show_another_stylists_client(client, world):
    """?client=<B's client> on the order form shows nothing of B's client to A."""
    client.force_login(world["stylist"])
    response = client.get(
        reverse("admin:customers_order_add"), {"client": world["client_b"].pk}
    )
    assert response.status_code == 200
    assert world["client_b"].email.encode() not in response.content
    assert b"Quillfeather" not in response.content


def test_stylist_cannot_add_an_order_for_another_stylists_client(client, world):
    """The order form refuses B's client for stylist A."""
    client.force_login(world["stylist"])
    before = Order.objects.filter(client=world["client_b"]).count()
    client.post(reverse("admin:customers_order_add"), order_form(world["client_b"]))
    assert Order.objects.filter(client=world["client_b"]).count() == before


@pytest.mark.parametrize("model", ["client", "order"])
@pytest.mark.parametrize(
    ("role", "rows"),
    [
        ("plain", None),
        ("stylist", {"a"}),
        ("reviewer", {"a", "b"}),
        ("manager", {"a", "b"}),
    ],
)
def test_export_holds_only_visible_rows(client, world, model, role, rows):
    """Export needs view permission and holds only the rows the role can see."""
    client.force_login(world[role])
    response = client.post(
        reverse(f"admin:customers_{model}_export"), export_form(model)
    )
    if rows is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = response.content.decode()
    present = {o for o in ("a", "b") if world[f"client_{o}"].email in text}
    assert present == rows


def test_stylist_filter_does_not_list_other_stylists(client, world):
    """A stylist's client list names no other stylist (no "By stylist" filter)."""
    client.force_login(world["stylist"])
    response = client.get(reverse("admin:customers_client_changelist"))
    assert response.status_code == 200
    assert b"Zwolinski" not in response.content


# --- Bad filter values never answer 500 ---

BAD_VALUES = ("abc", "0", "-5", "99999999999", "")
BAD_DATES = ("abc", "99999999999")


def _changelists():
    return sorted(model._meta.label_lower for model in admin.site._registry)


@pytest.mark.parametrize("label", _changelists())
def test_bad_filter_values_never_answer_500(client, world, label):
    """Every list filter and date drill-down takes junk without a server error."""
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    superuser = world["superuser"]
    request = _request_as(superuser)
    changelist = model_admin.get_changelist_instance(request)
    params = [
        name for spec in changelist.filter_specs for name in spec.expected_parameters()
    ]
    queries = [{name: value} for name in params for value in BAD_VALUES]
    if model_admin.date_hierarchy:
        stem = model_admin.date_hierarchy
        for value in BAD_DATES:
            queries += [
                {f"{stem}__year": value},
                {f"{stem}__year": "2024", f"{stem}__month": value},
                {f"{stem}__year": "2024", f"{stem}__month": "1", f"{stem}__day": value},
            ]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    failures = []
    for user in (superuser, world["stylist"]):
        client.force_login(user)
        for query in queries:
            try:
                with transaction.atomic():
                    status = client.get(url, query).status_code
            except Exception as exc:  # the test client re-raises
                status = f"500 ({type(exc).__name__}: {exc})"
            if str(status).startswith("5"):
                failures.append((user.username, query, status))
    assert failures == []
