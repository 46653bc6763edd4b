"""Bulk actions of the review desk, each calling one service per email.

A selected email a service refuses (not pending, not approved, not sending) is
counted as skipped and reported with the rest.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from emails.forms import RejectForm
from emails.models import EmailStatus
from emails.services.dispatch import email_send_now
from emails.services.review import ReviewRefused, email_approve, email_reject
from emails.services.stuck_sends import stuck_send_confirm_sent, stuck_send_retry
from emails.services.transitions import IllegalTransition

from .display import TEMPLATES


class ReviewActionsMixin:
    """The actions of ``ReengagementEmailAdmin``; ``permissions=["review"]``."""

    actions = (
        "approve_selected",
        "reject_selected",
        "send_now_selected",
        "confirm_sent_selected",
        "resend_selected",
    )

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
