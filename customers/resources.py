"""CSV import/export definitions for the admin (django-import-export).

Imports validate every row with the model's ``full_clean`` and run in one
transaction: a file with any bad row is refused whole, with errors per line and field.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from import_export import fields, resources, widgets

from .models import Client, Order


class StylesWidget(widgets.Widget):
    """Read and write preferred styles as 'casual; classic' in one CSV cell."""

    def clean(self, value, row=None, **kwargs):
        if not value:
            return []
        return [
            part.strip().lower()
            for part in str(value).replace(",", ";").split(";")
            if part.strip()
        ]

    def render(self, value, obj=None, **kwargs):
        return "; ".join(value or [])


class ClientResource(resources.ModelResource):
    stylist = fields.Field(
        attribute="stylist",
        column_name="stylist",
        widget=widgets.ForeignKeyWidget(get_user_model(), field="username"),
    )
    preferred_styles = fields.Field(
        attribute="preferred_styles",
        column_name="preferred_styles",
        widget=StylesWidget(),
    )

    class Meta:
        model = Client
        import_id_fields = ("email",)
        fields = (
            "email",
            "first_name",
            "last_name",
            "phone",
            "city",
            "time_zone",
            "signup_date",
            "external_id",
            "stylist",
            "preferred_styles",
            "size_top",
            "size_bottom",
            "size_shoe",
            "budget_band",
            "marketing_consent",
            "stylist_notes",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        # Emails are stored lower-case; match existing clients the same way.
        if row.get("email"):
            row["email"] = str(row["email"]).strip().lower()


class OrderResource(resources.ModelResource):
    client = fields.Field(
        attribute="client",
        column_name="client_email",
        widget=widgets.ForeignKeyWidget(Client, field="email"),
    )

    class Meta:
        model = Order
        fields = (
            "id",
            "client",
            "ordered_at",
            "shipped_at",
            "status",
            "items_sent",
            "items_kept",
            "kept_items",
            "amount",
            "rating",
            "feedback_comment",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        if row.get("client_email"):
            row["client_email"] = str(row["client_email"]).strip().lower()
