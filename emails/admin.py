"""Admin screens for drafts, holdout assignments and suppressions.

The email screen is the reviewers' desk: a queue of pending drafts, a page with
the draft as the client will see it beside the client's context, and buttons
for the decisions, each of which calls one service in ``emails.services.review``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from customers.admin import tier_badge
from customers.admin_filters import StylistListFilter
from customers.selectors import user_is_stylist_only
from emails.admin_experiments import ExperimentAdmin  # noqa: F401 - registers it
from emails.forms import CommentForm, EditApproveForm, RejectForm
from emails.models import (
    EmailStatus,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)
from emails.selectors import email_client_recent_orders, emails_visible_to
from emails.services.dispatch import email_send_now
from emails.services.drafting import DRAFT_NOT_QUEUED
from emails.services.rendering import email_html_render
from emails.services.review import (
    ReviewRefused,
    email_approve,
    email_comment_add,
    email_regenerable,
    email_regenerate,
    email_reject,
    user_can_comment,
    user_can_review,
)
from emails.services.send_time import client_time_zone
from emails.services.stuck_sends import stuck_send_confirm_sent, stuck_send_retry
from emails.services.transitions import IllegalTransition
from scoring.presentation import score_history_html
from scoring.selectors import client_score_history
from stitchengage.admin_pagination import BigListAdminMixin
from stitchengage.admin_query import OfferedChoicesFilter, SafeListQueryMixin

STATUS_COLOURS = {
    EmailStatus.QUEUED: "#6c757d",
    EmailStatus.DRAFTING: "#17a2b8",
    EmailStatus.PENDING_REVIEW: "#b8860b",
    EmailStatus.APPROVED: "#1e7e34",
    EmailStatus.SENDING: "#17a2b8",
    EmailStatus.SENT: "#155724",
    EmailStatus.REJECTED: "#6c757d",
    EmailStatus.FAILED: "#c0392b",
    EmailStatus.SUPPRESSED: "#343a40",
}
TEMPLATES = "admin/emails/reengagementemail"
SCORE_HISTORY_POINTS = 26
SCORE_TABLE_ROWS = 5
SUBJECT_CHARS = 48  # the review queue's subject column

logger = logging.getLogger(__name__)


def _score_chart(history) -> str:
    """Return the score chart, or "" so a chart bug never hides the review panel.

    The admin shows a readonly callable that raises ValueError as "-", which
    would take the preview and the decision context with it.
    """
    if not history:
        return ""
    try:
        return score_history_html(history)
    except ValueError:
        logger.exception("Score chart failed for client %s", history[0].client_id)
        return ""


def send_time_text(email: ReengagementEmail) -> str:
    """Say when an email goes: in the client's local time, and in UTC."""
    zone = client_time_zone(client=email.client)
    local = email.send_after.astimezone(zone)
    utc = email.send_after.astimezone(dt.UTC)
    return f"{local:%Y-%m-%d %H:%M} {zone.key} ({utc:%Y-%m-%d %H:%M} UTC)"


class ReviewQueueFilter(admin.SimpleListFilter):
    """Open the list on the drafts awaiting review; "All emails" shows the rest.

    The queue is the default only while nothing else picks the statuses: a
    search or the status filter looks through every email.
    """

    title = "queue"
    parameter_name = "queue"
    PENDING = "pending"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        self._narrowed = "status__exact" in request.GET or bool(request.GET.get("q"))
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(self.PENDING, "Review queue"), (self.ALL, "All emails")]

    def value(self):
        value = super().value()
        if value in (self.PENDING, self.ALL):
            return value
        return self.ALL if self._narrowed else self.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.PENDING:
            return queryset.filter(status=EmailStatus.PENDING_REVIEW)
        return queryset


class EmailStylistFilter(StylistListFilter):
    """The client's stylist, from the Stylists group (no DISTINCT over emails)."""

    stylist_field = "client__stylist_id"


class CreatedAgeFilter(OfferedChoicesFilter):
    """How long a draft has been around; fixed ranges over the indexed date."""

    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("today", "Created today"),
            ("7d", "Last 7 days"),
            ("older", "Older than 7 days"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        if value == "today":
            midnight = dt.datetime.combine(timezone.localdate(now), dt.time.min)
            return queryset.filter(created_at__gte=timezone.make_aware(midnight))
        if value == "7d":
            return queryset.filter(created_at__gte=now - dt.timedelta(days=7))
        if value == "older":
            return queryset.filter(created_at__lt=now - dt.timedelta(days=7))
        return queryset


@admin.register(ReengagementEmail)
class ReengagementEmailAdmin(BigListAdminMixin, SafeListQueryMixin, admin.ModelAdmin):
    """The review desk: the queue, the draft beside its client, the decisions.

    Nothing is edited through the model form (a stale save would write back an
    old status); texts change only through "Edit then approve".
    """

    change_form_template = f"{TEMPLATES}/change_form.html"
    # What a reviewer picks the next draft by; the model, tokens, cost and
    # latency are on the email's page. 25 rows: a 1440-px screen's worth.
    list_display = (
        "client_name",
        "tier_badge",
        "status_badge",
        "subject_short",
        "prompt_version",
        "sends_at",
        "created_on",
    )
    list_display_links = ("client_name", "subject_short")
    list_per_page = 25
    list_filter = (
        ReviewQueueFilter,
        "status",
        ("client__score__risk_tier", admin.ChoicesFieldListFilter),
        EmailStylistFilter,
        CreatedAgeFilter,
        "prompt_version",
        "provider",
    )
    list_select_related = ("client", "client__score")
    search_fields = ("=client__email", "client__last_name", "subject")
    show_full_result_count = False
    actions = (
        "approve_selected",
        "reject_selected",
        "send_now_selected",
        "confirm_sent_selected",
        "resend_selected",
    )
    fieldsets = (
        ("Review", {"fields": ("review_panel",)}),
        (
            "Draft",
            {
                "fields": (
                    "client",
                    "snapshot",
                    "status",
                    "subject",
                    "preheader",
                    "body",
                    "error",
                ),
            },
        ),
        (
            "Generation",
            {
                "classes": ("collapse",),
                "fields": (
                    "provider",
                    "model",
                    "prompt_version",
                    "prompt_tokens",
                    "completion_tokens",
                    "cost_usd",
                    "latency_ms",
                    "attempts",
                    "idempotency_key",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [
            "review_panel",
            *(field.name for field in self.model._meta.fields if field.name != "id"),
        ]

    def get_queryset(self, request):
        # The changelist skips list_select_related on a queryset that already
        # selects related rows: name them all here (else a score query per row).
        qs = super().get_queryset(request).select_related(*self.list_select_related)
        return emails_visible_to(request.user, qs)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if user_is_stylist_only(request.user):
            return tuple(f for f in filters if f is not EmailStylistFilter)
        return filters

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such email in your book.")
        return obj

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return user_can_review(request.user)

    # -- review URLs ---------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        views = {
            "approve": self.approve_view,
            "edit": self.edit_approve_view,
            "reject": self.reject_view,
            "regenerate": self.regenerate_view,
            "comment": self.comment_view,
            "send_now": self.send_now_view,
        }
        custom = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"{info[0]}_{info[1]}_{name}",
            )
            for name, view in views.items()
        ]
        return custom + super().get_urls()

    def _email_for(self, request, object_id, *, allowed) -> ReengagementEmail:
        # Out of the user's book is a 404 (as on the change page); in it but
        # without the right is a 403, whatever the form or a forged POST says.
        email = self.get_object(request, unquote(object_id))
        if not allowed(request.user):
            raise PermissionDenied
        return email

    def _change_url(self, email: ReengagementEmail) -> str:
        return self._change_url_of(email.pk)

    def _change_url_of(self, pk: int) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk]
        )

    def _queue_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _approved_response(self, request, email: ReengagementEmail):
        if email.status == EmailStatus.SUPPRESSED:
            note = email.transitions.order_by("-at", "-id").first()
            self.message_user(
                request,
                f"Email #{email.pk} was not approved: the client can no longer be "
                f"contacted ({note.note if note else 'blocked'}). It is suppressed.",
                messages.WARNING,
            )
            return HttpResponseRedirect(self._change_url(email))
        email.refresh_from_db(fields=["status", "send_after", "dispatched_at"])
        if email.dispatched_at is not None or email.status != EmailStatus.APPROVED:
            when = "it is being sent now"
        else:
            when = f"it will be sent at {send_time_text(email)}"
        self.message_user(
            request,
            f"Email #{email.pk} approved{' with your edits' if email.edited else ''};"
            f" {when}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    def _refused(self, request, email: ReengagementEmail, exc: Exception):
        self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(self._change_url(email))

    def approve_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            email = email_approve(email=email, reviewer=request.user)
        except (IllegalTransition, ReviewRefused) as exc:
            return self._refused(request, email, exc)
        return self._approved_response(request, email)

    def edit_approve_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if email.status != EmailStatus.PENDING_REVIEW:
            return self._refused(
                request,
                email,
                IllegalTransition(
                    f"Email #{email.pk} is {email.get_status_display().lower()}; "
                    "only a draft pending review can be edited."
                ),
            )
        if request.method == "POST":
            form = EditApproveForm(request.POST)
            if form.is_valid():
                try:
                    email = email_approve(
                        email=email, reviewer=request.user, **form.cleaned_data
                    )
                except ReviewRefused as exc:
                    form.add_error(None, str(exc))
                except IllegalTransition as exc:
                    return self._refused(request, email, exc)
                else:
                    return self._approved_response(request, email)
        else:
            form = EditApproveForm(
                initial={
                    "subject": email.subject,
                    "preheader": email.preheader,
                    "body": email.body,
                }
            )
        return self._render(
            request,
            "edit_approve.html",
            email=email,
            form=form,
            title="Edit then approve",
        )

    def reject_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                email_reject(
                    email=email,
                    reviewer=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except IllegalTransition as exc:
                return self._refused(request, email, exc)
            except ReviewRefused as exc:
                form.add_error("reason", str(exc))
            else:
                self.message_user(
                    request, f"Email #{email.pk} rejected.", messages.SUCCESS
                )
                return HttpResponseRedirect(self._queue_url())
        return self._render(
            request, "reject.html", email=email, form=form, title="Reject draft"
        )

    def regenerate_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            new = email_regenerate(email=email, reviewer=request.user)
        except (IllegalTransition, ReviewRefused) as exc:
            return self._refused(request, email, exc)
        new.refresh_from_db()  # eagerly drafted, or its publish failed, by now
        message, level = self._regenerated_message(old=email, new=new)
        self.message_user(request, message, level)
        return HttpResponseRedirect(self._change_url(new))

    def _regenerated_message(
        self, *, old: ReengagementEmail, new: ReengagementEmail
    ) -> tuple[str, int]:
        """Say what became of the new draft, linking the old one it replaces."""
        kept = format_html(
            '<a href="{}">Email #{}</a> is kept as {}.',
            self._change_url(old),
            old.pk,
            old.get_status_display().lower(),
        )
        if new.status == EmailStatus.PENDING_REVIEW:
            return format_html(
                "A new draft, email #{}, is ready for review. {}", new.pk, kept
            ), messages.SUCCESS
        if new.status == EmailStatus.FAILED:
            return format_html(
                "The model could not write a new draft ({}). Email #{} is marked "
                "failed; you can regenerate it again. {}",
                new.error,
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.SUPPRESSED:
            return format_html(
                "Email #{} was not drafted: the client can no longer be contacted. {}",
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.QUEUED and new.error == DRAFT_NOT_QUEUED:
            return format_html(
                "The new draft, email #{}, could not be queued for writing (the "
                "task queue is unreachable). It waits as queued and is queued again "
                "by the next drafting sweep, or when you regenerate again. {}",
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.QUEUED and new.error:
            return format_html(
                "The model has not answered yet ({}); the new draft, email #{}, "
                "is waiting and will be retried. {}",
                new.error,
                new.pk,
                kept,
            ), messages.WARNING
        return format_html(
            "A new draft, email #{}, is being written. {}", new.pk, kept
        ), messages.SUCCESS

    def send_now_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            email = email_send_now(email=email, actor=request.user)
        except IllegalTransition as exc:
            return self._refused(request, email, exc)
        email.refresh_from_db(fields=["status", "dispatched_at"])
        if email.dispatched_at is None and email.status == EmailStatus.APPROVED:
            self.message_user(
                request,
                f"Email #{email.pk} could not be queued (the task queue is "
                "unreachable); the dispatcher will send it in the client's window.",
                messages.WARNING,
            )
        else:
            self.message_user(
                request, f"Email #{email.pk} is being sent now.", messages.SUCCESS
            )
        return HttpResponseRedirect(self._change_url(email))

    def comment_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_comment)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                email_comment_add(
                    email=email, author=request.user, body=form.cleaned_data["body"]
                )
            except ReviewRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, "Comment added.", messages.SUCCESS)
        else:
            self.message_user(request, "A comment cannot be empty.", messages.ERROR)
        return HttpResponseRedirect(self._change_url(email))

    def _render(self, request, template: str, *, email, form, title: str, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": email,
            "email": email,
            "form": form,
            "title": title,
            "change_url": self._change_url(email),
            **extra,
        }
        return TemplateResponse(request, f"{TEMPLATES}/{template}", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_review": user_can_review(request.user),
            "can_comment": user_can_comment(request.user),
            "pending": EmailStatus.PENDING_REVIEW,
            "approved": EmailStatus.APPROVED,
            "reject_form": RejectForm(),
            "comment_form": CommentForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        context["can_regenerate"] = obj is not None and email_regenerable(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- bulk actions --------------------------------------------------------

    @admin.action(description="Approve selected drafts", permissions=["review"])
    def approve_selected(self, request, queryset):
        outcomes: Counter[str] = Counter()
        for email in queryset.select_related("client"):
            try:
                email = email_approve(email=email, reviewer=request.user)
            except (IllegalTransition, ReviewRefused):
                outcomes["skipped"] += 1
            else:
                outcomes[email.status] += 1
        self._report(
            request,
            approved=outcomes[EmailStatus.APPROVED],
            suppressed=outcomes[EmailStatus.SUPPRESSED],
            skipped=outcomes["skipped"],
        )

    @admin.action(description="Reject selected drafts…", permissions=["review"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            outcomes: Counter[str] = Counter()
            for email in queryset.select_related("client"):
                try:
                    email_reject(
                        email=email,
                        reviewer=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except (IllegalTransition, ReviewRefused):
                    outcomes["skipped"] += 1
                else:
                    outcomes["rejected"] += 1
            self._report(
                request, rejected=outcomes["rejected"], skipped=outcomes["skipped"]
            )
            return None
        return TemplateResponse(
            request,
            f"{TEMPLATES}/reject_selected.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Reject drafts",
                "form": form,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @admin.action(
        description="Send selected approved emails now", permissions=["review"]
    )
    def send_now_selected(self, request, queryset):
        sent = skipped = 0
        for email in queryset.filter(status=EmailStatus.APPROVED):
            try:
                email_send_now(email=email, actor=request.user)
            except IllegalTransition:
                skipped += 1
            else:
                sent += 1
        skipped += queryset.exclude(status=EmailStatus.APPROVED).count()
        self.message_user(
            request,
            f"{sent} queued to send now; {skipped} skipped (not approved).",
            messages.SUCCESS if not skipped else messages.WARNING,
        )

    @admin.action(
        description="Stuck in sending: confirm sent (found in SES)",
        permissions=["review"],
    )
    def confirm_sent_selected(self, request, queryset):
        self._settle_stuck(request, queryset, stuck_send_confirm_sent, "confirmed sent")

    @admin.action(
        description="Stuck in sending: send again (not in SES)",
        permissions=["review"],
    )
    def resend_selected(self, request, queryset):
        self._settle_stuck(request, queryset, stuck_send_retry, "queued to send again")

    def _settle_stuck(self, request, queryset, settle, done: str) -> None:
        settled = 0
        skipped = queryset.exclude(status=EmailStatus.SENDING).count()
        for email in list(queryset.filter(status=EmailStatus.SENDING)):
            try:
                settle(email=email, actor=request.user)
            except IllegalTransition:
                skipped += 1
            else:
                settled += 1
        level = messages.SUCCESS if not skipped else messages.WARNING
        self.message_user(
            request,
            f"{settled} {done}; {skipped} skipped (not in sending).",
            level,
        )

    def _report(self, request, *, skipped: int, **done: int) -> None:
        parts = [f"{count} {what}" for what, count in done.items() if count]
        if skipped:
            parts.append(f"{skipped} skipped (not pending review)")
        level = messages.SUCCESS if not skipped else messages.WARNING
        self.message_user(request, "Drafts: " + (", ".join(parts) or "none"), level)

    # -- display -------------------------------------------------------------

    @admin.display(description="Client", ordering="client__last_name")
    def client_name(self, obj: ReengagementEmail) -> str:
        return obj.client.full_name

    @admin.display(description="Tier", ordering="client__score__risk_tier")
    def tier_badge(self, obj: ReengagementEmail) -> str:
        return tier_badge(obj.client.current_tier)

    @admin.display(description="Subject", ordering="subject")
    def subject_short(self, obj: ReengagementEmail) -> str:
        return Truncator(obj.subject).chars(SUBJECT_CHARS) or "-"

    @admin.display(description="Created", ordering="created_at")
    def created_on(self, obj: ReengagementEmail) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M}"

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ReengagementEmail) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;'
            'border-radius:10px;font-size:11px;white-space:nowrap">{}</span>',
            STATUS_COLOURS.get(obj.status, "#adb5bd"),
            obj.get_status_display(),
        )

    @admin.display(description="Sends at", ordering="send_after")
    def sends_at(self, obj: ReengagementEmail) -> str:
        if obj.send_after is None or obj.status != EmailStatus.APPROVED:
            return "—"
        return send_time_text(obj)

    @admin.display(description="preview and context")
    def review_panel(self, obj: ReengagementEmail) -> str:
        if obj.pk is None:
            return "—"
        client = obj.client
        history = client_score_history(client_id=client.pk, limit=SCORE_HISTORY_POINTS)
        replaced_by = (
            ReengagementEmail.objects.filter(regenerated_from=obj)
            .values_list("pk", flat=True)
            .first()
        )
        return render_to_string(
            f"{TEMPLATES}/review_panel.html",
            {
                "email": obj,
                "sends_at": obj.status == EmailStatus.APPROVED
                and obj.send_after
                and send_time_text(obj),
                "regenerated_from_url": obj.regenerated_from_id
                and self._change_url_of(obj.regenerated_from_id),
                "replaced_by": replaced_by,
                "replaced_by_url": replaced_by and self._change_url_of(replaced_by),
                "html": email_html_render(email=obj) if obj.body else "",
                "client": client,
                "tier": tier_badge(client.current_tier),
                "score": client.current_score,
                "orders": email_client_recent_orders(email=obj),
                "score_chart": _score_chart(history),
                "score_rows": history[-SCORE_TABLE_ROWS:][::-1],
                "transitions": obj.transitions.select_related("actor"),
                "comments": obj.comments.select_related("author"),
                "experiment": obj.snapshot_id
                and RetentionAssignment.objects.filter(
                    client_id=obj.client_id, snapshot_id=obj.snapshot_id
                )
                .values_list("experiment", flat=True)
                .first(),
            },
        )


@admin.register(RetentionAssignment)
class RetentionAssignmentAdmin(SafeListQueryMixin, admin.ModelAdmin):
    """Written by the pipeline only: an experiment's record must not be edited."""

    list_display = (
        "client",
        "group",
        "experiment",
        "prompt_version",
        "holdout_share",
        "assigned_at",
    )
    list_filter = ("group", "experiment", "prompt_version")
    list_select_related = ("client",)
    search_fields = ("=client__email",)
    raw_id_fields = ("client", "snapshot")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(SafeListQueryMixin, admin.ModelAdmin):
    """Managers add and lift suppressions; others may only look."""

    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    show_full_result_count = False
