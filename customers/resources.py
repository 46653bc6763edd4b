"""CSV import/export definitions for the admin (django-import-export).

Imports validate every row with the model's ``full_clean`` and run in one
transaction: a file with any bad row is refused whole, with errors per line and
field, in words ("line 3: amount: 'lots' is not a number").

Who may import is decided by the admin (``customers.admin_import``: Managers and
superusers). These resources check again, row by row, so that they are no wider
when used from anywhere else:

- the import needs a user (django-import-export passes ``user`` to
  ``import_data``); a row that creates needs add permission, a row that changes
  a record needs change permission;
- a record outside the user's book (``customers.selectors``) is reported as not
  found, the same words as a record that does not exist, and its data is never
  shown;
- consent is never granted again by an import (``services.consent``);
  ``unsubscribed_at`` is not importable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import capfirst
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader
from import_export.results import Result

from . import selectors
from .amounts import amount_parse
from .columns import CLIENT_CSV_COLUMNS, ORDER_FACTS
from .models import Client, Order
from .services.consent import consent_regrant_error
from .services.order_facts import clients_orders_written

MAX_LISTED = 20


class ImportFileError(ValueError):
    """A problem with the file as a whole (a column, a duplicate); shown as is."""


# -- widgets: every failure is a ValueError in words, which import-export files
# under the row's field (any other exception became "[<class ...>]").


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class BlankIsNoneWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return _text(value) or None


class AmountWidget(widgets.DecimalWidget):
    """A money amount: plain decimals only, see ``customers.amounts``."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        if isinstance(value, int | Decimal):
            return Decimal(value)
        return amount_parse(str(value))


class WholeNumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        if not text.lstrip("-").isdecimal() or len(text) > 12:
            raise ValueError(f"'{value}' is not a whole number")
        return int(text)


class YesNoWidget(widgets.BooleanWidget):
    """1/0, yes/no, true/false; anything else is an error, not a silent False."""

    TRUE = {"1", "true", "yes", "y"}
    FALSE = {"0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"'{value}' is not 1 or 0 (yes or no)")


class _BlankOrParsedMixin:
    """A blank cell is None; other text is the base widget's value, or ``refused``'s."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        try:
            return super().clean(text, row, **kwargs)
        except ValueError:
            return self.refused(value, text)

    def refused(self, value: Any, text: str) -> Any:
        raise NotImplementedError


class DayWidget(_BlankOrParsedMixin, widgets.DateWidget):
    def refused(self, value: Any, text: str) -> dt.date:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None


class MomentWidget(_BlankOrParsedMixin, widgets.DateTimeWidget):
    """A date and time: ISO 8601 first (C-fast), then the configured formats.

    Each format the parent tries is one ``strptime``; an order file has a
    timestamp on every row, read twice (the key, then the field).
    """

    def clean(self, value, row=None, **kwargs):
        try:
            moment = dt.datetime.fromisoformat(_text(value))
        except ValueError:
            return super().clean(value, row, **kwargs)
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def refused(self, value: Any, text: str) -> dt.datetime:
        raise ValueError(
            f"'{value}' is not a date and time (YYYY-MM-DD HH:MM)"
        ) from None


class StylistWidget(widgets.ForeignKeyWidget):
    """A stylist by username; only staff can look after clients.

    Each username is looked up once per import (a resource's fields are its
    own copies): a file names the same few stylists on thousands of rows.
    """

    def __init__(self):
        super().__init__(get_user_model(), field="username")
        self.found: dict[str, Any] = {}

    def clean(self, value, row=None, **kwargs):
        username = _text(value)
        if not username:
            return None
        if username not in self.found:
            self.found[username] = self.model.objects.filter(
                username=username, is_staff=True
            ).first()
        user = self.found[username]
        if user is None:
            raise ValueError(f"no stylist with username '{username}'")
        return user


class EmailInstanceLoader(CachedInstanceLoader):
    """Load a file's existing clients in one query, by lower-cased email.

    Emails are stored lower-case and rows are matched lower-cased
    (``ClientResource.before_import_row``); one query per file (or chunk)
    instead of one per row.
    """

    def __init__(self, resource, dataset=None):
        ModelInstanceLoader.__init__(self, resource, dataset)
        self.pk_field = resource.fields["email"]
        emails = {
            _text(email).lower()
            for email in (dataset["email"] if dataset and dataset.headers else [])
            if _text(email)
        }
        self.all_instances = {
            client.email: client
            for client in self.get_queryset().filter(email__in=emails)
        }

    def get_instance(self, row):
        return self.all_instances.get(_text(row.get("email")).lower())


class BookClientWidget(widgets.ForeignKeyWidget):
    """An order's client by email, looked up only in the importing user's book.

    ``book_load`` reads a file's (or chunk's) clients in one query; without it
    each cell is one query.
    """

    def __init__(self):
        super().__init__(Client, field="email")
        #: Lower-cased email -> client of the user's book, for the chunk.
        self.book: dict[str, Client] | None = None

    def book_load(self, *, user, emails) -> None:
        wanted = {_text(email).lower() for email in emails} - {""}
        self.book = {
            client.email: client
            for client in selectors.clients_visible_to(user).filter(email__in=wanted)
        }

    def clean(self, value, row=None, **kwargs):
        email = _text(value).lower()
        if not email:
            return None
        if self.book is not None:
            client = self.book.get(email)
        else:
            visible = selectors.clients_visible_to(kwargs.get("user"))
            client = visible.filter(email=email).first()
        if client is None:
            raise ValueError(f"no client with email '{email}' in your book")
        return client


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


# -- resources


class BookResource(resources.ModelResource):
    """What the client book's imports share: the user, the lines, the words.

    ``before_import`` checks the file (columns, duplicates) and refuses it whole
    when it cannot be read row by row; ``after_init_instance`` checks each row's
    permission and visibility before any of the row's values touch the record,
    so a refused row shows nothing of it.
    """

    #: Columns the file must have.
    required_columns: tuple[str, ...] = ()
    #: Columns that are never imported, and why (refused rather than ignored).
    not_importable: dict[str, str] = {}
    #: The column and words for "not in your book".
    key_column = "id"

    def __init__(
        self, *, validate_only: bool = False, validated: bool = False, **kwargs
    ):
        super().__init__(**kwargs)
        self.user = None
        self.lines: list[int] = []
        self.row_number = 0
        # Check every row without saving any (the background import's first
        # pass, over a file read in chunks): a dry run would write each chunk
        # in a transaction and roll it back, which holds SQLite's write lock.
        # What a save would catch across rows of the file, file_check catches.
        self.validate_only = validate_only
        # The background import's write pass, over rows its first pass checked
        # in full: skip the model's full_clean (two queries a row). What the
        # database could have changed meanwhile is held by its constraints
        # (unique email, checks) inside the write transaction; visibility and
        # permission are checked again row by row.
        self.validated = validated
        #: Problems ``file_check`` found per row number of the current chunk.
        self.row_errors: dict[int, dict[str, list[str]]] = {}
        # The write pass's rows of the current chunk (``rows_write``).
        self.to_create: list[Any] = []
        self.to_update: list[Any] = []

    # File level.

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.lines = list(
            getattr(dataset, "line_numbers", None) or range(2, len(dataset) + 2)
        )
        if self.user is None:
            self._refuse(dataset, "an import needs a user; nothing was imported")
        headers = [_text(name).lower() for name in dataset.headers or []]
        repeated = sorted(name for name, n in Counter(headers).items() if n > 1)
        if repeated:
            self._refuse(dataset, f"the column '{repeated[0]}' appears twice")
        if dataset.headers:
            dataset.headers = headers
        for name in headers:
            if name in self.not_importable:
                self._refuse(
                    dataset,
                    f"the column '{name}' is not importable: "
                    f"{self.not_importable[name]}",
                )
        known = {field.column_name for field in self.get_import_fields()}
        unknown = [name for name in headers if name and name not in known]
        if unknown:
            self._refuse(
                dataset,
                f"the file has column(s) this import does not know: "
                f"{', '.join(unknown)} (it knows: {', '.join(sorted(known))})",
            )
        for name in self.columns_required(headers):
            if name not in headers:
                self._refuse(
                    dataset,
                    f"the file has no '{name}' column "
                    f"(columns: {', '.join(headers) or 'none'})",
                )
        self.file_check(dataset)

    def columns_required(self, headers: list[str]) -> tuple[str, ...]:
        return self.required_columns

    def file_check(self, dataset) -> None:
        """Check what spans rows (duplicates); raise ImportFileError to refuse."""

    @staticmethod
    def _refuse(dataset, message: str) -> None:
        # Emptying the dataset stops import-export from importing the rows of a
        # file it cannot read (it imports them after a failed before_import).
        del dataset[0 : len(dataset)]
        raise ImportFileError(message)

    def line_of(self, row_number: int) -> int:
        """Return the file line of a row (1-based rows; line 1 is the header)."""
        index = row_number - 1
        return self.lines[index] if 0 <= index < len(self.lines) else row_number + 1

    # Row level.

    def before_import_row(self, row, **kwargs):
        self.row_number = kwargs.get("row_number", 0)

    def after_init_instance(self, instance, new, row, **kwargs):
        opts = self._meta.model._meta
        if not new and not self.visible(instance):
            raise ValidationError({self.key_column_of(row): self.not_in_book(row)})
        action = "add" if new else "change"
        codename = get_permission_codename(action, opts)
        if not self.user.has_perm(f"{opts.app_label}.{codename}"):
            if new and not selectors.user_sees_all_clients(self.user):
                # Same words as another stylist's record: the answer must not
                # tell whether the record exists.
                raise ValidationError({self.key_column_of(row): self.not_in_book(row)})
            raise ValidationError(
                f"you may not {action} {opts.verbose_name_plural} "
                f"(your role lacks the {codename} permission)"
            )

    #: The resource checks uniqueness and constraints for a whole file or
    #: chunk in ``file_check`` (into ``row_errors``), not with two queries a
    #: row in ``full_clean``.
    checks_in_bulk = False
    #: Foreign keys whose widget already checked what ``full_clean`` would
    #: check again with a query a row (``limit_choices_to``).
    checked_by_widgets: tuple[str, ...] = ()

    def validate_instance(self, instance, import_validation_errors=None, **kwargs):
        errors = dict(import_validation_errors or {})
        if self.checks_in_bulk:
            for name, messages in self.row_errors.get(self.row_number, {}).items():
                errors[name] = [*errors.get(name, []), *messages]
        if self.validated:
            if errors:
                raise ValidationError(errors)
            return
        if not self.checks_in_bulk:
            super().validate_instance(instance, errors, **kwargs)
            return
        # A foreign key its widget found is not looked up again; an empty one
        # is still refused by full_clean (no query for a NULL).
        found = {
            name
            for name in self.checked_by_widgets
            if getattr(instance, self._meta.model._meta.get_field(name).attname)
            is not None
        }
        try:
            instance.full_clean(
                exclude={*errors.keys(), *found},
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        if not self.validate_only:
            super().do_instance_save(instance, is_create)

    # The write pass (``validated``): every row of the chunk was checked, so
    # the chunk is written in bulk by ``rows_write`` once all its rows are in.

    def save_instance(self, instance, is_create, row, **kwargs):
        if not self.validated:
            super().save_instance(instance, is_create, row, **kwargs)
            return
        self.row_prepare(instance)
        (self.to_create if is_create else self.to_update).append(instance)

    def row_prepare(self, instance) -> None:
        """Do for one row of the write pass what ``save()`` would have done."""

    def rows_write(self) -> None:
        """Write the chunk's ``to_create`` and ``to_update`` in bulk."""
        raise NotImplementedError

    def file_written(self) -> None:
        """Finish the write pass once every chunk is written (same transaction)."""

    def key_column_of(self, row) -> str:
        return self.key_column

    def visible(self, instance) -> bool:
        raise NotImplementedError

    def not_in_book(self, row) -> str:
        raise NotImplementedError

    def after_import(self, dataset, result, **kwargs):
        if self.validated and not (
            result.has_errors() or result.has_validation_errors()
        ):
            self.rows_write()
        self.to_create, self.to_update = [], []
        super().after_import(dataset, result, **kwargs)
        result.error_entries = self.error_entries(result)
        result.error_messages = [error_words(**entry) for entry in result.error_entries]

    # Words.

    def error_messages(self, result: Result) -> list[str]:
        """Return every problem of an import, one line each, no tracebacks."""
        return [error_words(**entry) for entry in self.error_entries(result)]

    def error_entries(self, result: Result) -> list[dict[str, Any]]:
        """Return every problem as {line, field, message} (line None: the file)."""
        columns = {field.attribute: field.column_name for field in self.fields.values()}
        entries: list[dict[str, Any]] = []
        for error in result.base_errors:
            entries.append(
                {"line": None, "field": "", "message": _error_words(error.error)}
            )
        for row in result.error_rows:
            line = self.line_of(row.number)
            entries.extend(
                {"line": line, "field": "", "message": _error_words(e.error)}
                for e in row.errors
            )
        for invalid in result.invalid_rows:
            line = self.line_of(invalid.number)
            for name, errors in invalid.error_dict.items():
                field = "" if name == NON_FIELD_ERRORS else columns.get(name, name)
                entries.extend(
                    {"line": line, "field": field, "message": str(text)}
                    for text in errors
                )
        return entries


def error_words(*, line: int | None, field: str, message: str) -> str:
    """Return one problem as the import pages show it: "line 3: amount: ..."."""
    parts = [f"line {line}"] if line is not None else []
    if field:
        parts.append(field)
    parts.append(message)
    return ": ".join(parts)


def _error_words(error: Exception) -> str:
    if isinstance(error, ImportFileError):
        return str(error)
    # Anything else is a bug or the database refusing a write: name the kind of
    # problem without a traceback (the log has it).
    return f"could not be imported ({type(error).__name__}); nothing was imported"


def _column(name: str, widget: widgets.Widget, **options: Any) -> fields.Field:
    """Return the field of the attribute ``name``, read from a column of that name."""
    return fields.Field(attribute=name, column_name=name, widget=widget, **options)


class ClientResource(BookResource):
    stylist = _column("stylist", StylistWidget())
    preferred_styles = _column("preferred_styles", StylesWidget())
    signup_date = _column("signup_date", DayWidget())
    # A blank external id is "none" (NULL), not '' (which the unique constraint
    # would let only one client have).
    external_id = _column("external_id", BlankIsNoneWidget())
    # A blank cell leaves consent as it is (False for a new client).
    marketing_consent = _column(
        "marketing_consent", YesNoWidget(), saves_null_values=False
    )

    required_columns = ("email",)
    not_importable = {
        "unsubscribed_at": "only the client unsubscribes (the link in an email)",
    }
    key_column = "email"

    class Meta:
        model = Client
        import_id_fields = ("email",)
        instance_loader_class = EmailInstanceLoader
        fields = CLIENT_CSV_COLUMNS
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    checks_in_bulk = True
    # StylistWidget looked the username up among staff, the FK's own rule.
    checked_by_widgets = ("stylist",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Kept across the chunks of one file (the background import).
        self.first_line_by_email: dict[str, int] = {}
        self.first_line_by_external_id: dict[str, int] = {}

    def file_check(self, dataset) -> None:
        self.emails_check(dataset)
        self.row_errors = self.unique_errors(dataset)

    def unique_errors(self, dataset) -> dict[int, dict[str, list[str]]]:
        """Check the chunk's emails and external ids against the book, set-based.

        Two queries a chunk instead of two a row (``full_clean``'s unique and
        constraint checks). A row's email matches an existing client exactly
        (the instance loader's rule), so an update keeps its own external id;
        another client holding the email in other letter case, or the external
        id, is an error on that row and field, as is an external id used twice
        in the file. The check constraint (no blank external id) cannot fail:
        the widget and ``Client.fields_normalise`` turn blanks into NULL.
        """
        emails = [_text(email).lower() for email in dataset["email"]]
        has_ids = "external_id" in (dataset.headers or [])
        ids = [_text(v) or None for v in dataset["external_id"]] if has_ids else []
        holders = {
            folded: (email, pk)
            for folded, email, pk in Client.objects.annotate(folded=Lower("email"))
            .filter(folded__in={e for e in emails if e})
            .values_list("folded", "email", "pk")
        }
        id_holders = dict(
            Client.objects.filter(external_id__in={i for i in ids if i}).values_list(
                "external_id", "pk"
            )
        )
        taken_id = (
            f"{capfirst(Client._meta.verbose_name)} with this "
            f"{capfirst(Client._meta.get_field('external_id').verbose_name)} "
            "already exists."
        )
        found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for index, email in enumerate(emails):
            number = index + 1
            stored, holder = holders.get(email, (None, None))
            owner = holder if stored == email else None
            if holder is not None and owner is None:
                found[number]["email"].append(
                    "another client has this email in other letter case"
                )
            external_id = ids[index] if has_ids else None
            if external_id is None:
                continue
            first = self.first_line_by_external_id.setdefault(
                external_id, self.line_of(number)
            )
            if first != self.line_of(number):
                found[number]["external_id"].append(
                    f"external id {external_id} also on line {first}"
                )
            if id_holders.get(external_id, owner) != owner:
                found[number]["external_id"].append(taken_id)
        return {number: dict(fields) for number, fields in found.items()}

    def row_prepare(self, instance: Client) -> None:
        instance.fields_normalise()

    def rows_write(self) -> None:
        """Write the chunk's new and changed clients in two bulk statements.

        ``Client`` has no ``post_save`` receivers, so nothing is missed; the
        caller holds the transaction, so a constraint that fails now rolls
        back the whole file.
        """
        if self.to_create:
            Client.objects.bulk_create(self.to_create, batch_size=1000)
        if self.to_update:
            now = timezone.now()
            for client in self.to_update:
                client.updated_at = now
            names = [
                field.attribute
                for field in self.get_import_fields()
                if field.attribute and field.attribute != "email"
            ]
            Client.objects.bulk_update(
                self.to_update, [*names, "updated_at"], batch_size=1000
            )

    def emails_check(self, dataset) -> None:
        first_line = self.first_line_by_email
        clashes = []
        for index, email in enumerate(dataset["email"]):
            email = _text(email).lower()
            if not email:
                continue
            line = self.line_of(index + 1)
            if email in first_line:
                clashes.append(
                    f"line {line}: email {email} also on line {first_line[email]}"
                )
            else:
                first_line[email] = line
        if clashes:
            more = len(clashes) - MAX_LISTED
            listed = "; ".join(clashes[:MAX_LISTED])
            self._refuse(
                dataset,
                f"the file has the same email twice ({listed}"
                + (f"; and {more} more" if more > 0 else "")
                + "); one line per client",
            )

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        # Emails are stored lower-case; match existing clients the same way.
        if row.get("email"):
            row["email"] = str(row["email"]).strip().lower()

    def visible(self, instance: Client) -> bool:
        return selectors.client_visible_to(self.user, instance)

    def not_in_book(self, row) -> str:
        return "no client with this email in your book"

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = defaultdict(list)
        if "marketing_consent" in row:
            try:
                wanted = self.fields["marketing_consent"].clean(row, **kwargs)
            except ValueError:
                wanted = None  # reported by the field itself below
            # ``instance`` is still as stored: the row is applied below.
            message = consent_regrant_error(client=instance, wanted=bool(wanted))
            if message:
                errors["marketing_consent"].append(message)
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[name].extend(messages)
        if errors:
            raise ValidationError(dict(errors))


class JobResourceMixin:
    """A background job's import: no per-row diff.

    The admin's preview shows each row's changes (a deep copy of the record and
    an HTML diff per row); a job shows only counts, so the copy and the diff,
    a third of its time on a 130,000-row client file, are skipped. An unchanged
    row is still found, by comparing the imported fields' stored values.
    """

    #: The imported fields' stored values of the row's record (None: new).
    stored: dict[str, Any] | None = None

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        self.stored = None if new else self._values(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or self.stored is None:
            return False
        return self._values(instance) == self.stored

    def _values(self, instance) -> dict[str, Any]:
        # attname: a foreign key's id, without loading the related record.
        opts = self._meta.model._meta
        names = [
            opts.get_field(field.attribute).attname
            for field in self.get_import_fields()
            if field.attribute
        ]
        return {name: getattr(instance, name) for name in names}


class ClientJobResource(JobResourceMixin, ClientResource):
    """The client import of a background job (``JobResourceMixin``)."""

    class Meta:
        skip_diff = True


class OrderResource(BookResource):
    """Orders ("Fixes"); re-uploading the same file adds nothing.

    A row with an ``id`` updates that Fix. A row without one (or a file without
    the column) is keyed like ``import_orders`` keys its rows: a hash of the
    client email, order time and amount and how many identical rows came before
    it in the file, kept in ``Order.import_key``; a second upload finds the
    Fixes and reports the rows unchanged.
    """

    client = fields.Field(
        attribute="client", column_name="client_email", widget=BookClientWidget()
    )
    ordered_at = _column("ordered_at", MomentWidget())
    shipped_at = _column("shipped_at", MomentWidget())
    amount = _column("amount", AmountWidget())
    id = _column("id", WholeNumberWidget())
    items_sent = _column("items_sent", WholeNumberWidget())
    items_kept = _column("items_kept", WholeNumberWidget())
    rating = _column("rating", WholeNumberWidget())

    not_importable = {
        "import_key": "it is derived from the row",
        "client": "name the client by email in a 'client_email' column",
    }

    class Meta:
        model = Order
        fields = ("id", "client", *ORDER_FACTS)
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    checks_in_bulk = True
    # BookClientWidget found the client in the user's book (one query a chunk).
    checked_by_widgets = ("client",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keys: list[str | None] = []
        self.keyed: dict[str, Order] = {}
        #: The chunk's Fixes named by id, read in one query.
        self.by_id: dict[int, Order] = {}
        # Identical rows seen so far in the file, kept across its chunks so
        # a chunked import keys its rows as a whole-file one does.
        self.seen: Counter[tuple[str, str, str]] = Counter()
        #: The write pass's clients whose Fixes the file adds, changes or
        #: moves away (``file_written`` refreshes them).
        self.touched: set[int] = set()

    def columns_required(self, headers: list[str]) -> tuple[str, ...]:
        if "id" in headers:
            return ()
        # Without ids the key comes from these; without them it would not be stable.
        return ("client_email", "ordered_at", "amount")

    def file_check(self, dataset) -> None:
        seen = self.seen
        self.keys = []
        for values in dataset.dict:
            triple = (
                _text(values.get("client_email")).lower(),
                self._key_part(self.fields["ordered_at"], values),
                self._key_part(self.fields["amount"], values),
            )
            n = seen[triple]
            seen[triple] += 1
            text = "|".join((*triple, str(n)))
            self.keys.append("csv:" + hashlib.sha256(text.encode()).hexdigest()[:60])
        # One query each for the whole file (or chunk) rather than one per row:
        # the Fixes by key, by id, and the clients named by email.
        self.keyed = {
            order.import_key: order
            for order in Order.objects.select_related("client").filter(
                import_key__in=self.keys
            )
        }
        self.by_id = Order.objects.select_related("client").in_bulk(self._ids(dataset))
        headers = dataset.headers or []
        emails = dataset["client_email"] if "client_email" in headers else []
        self.fields["client"].widget.book_load(user=self.user, emails=emails)

    def _ids(self, dataset) -> set[int]:
        if "id" not in (dataset.headers or []):
            return set()
        ids = set()
        for raw in dataset["id"]:
            try:
                pk = self.fields["id"].widget.clean(raw)
            except ValueError:
                continue  # the row reports it
            if pk is not None and 0 < pk < 2**63:
                ids.add(pk)
        return ids

    @staticmethod
    def _key_part(field: fields.Field, values: dict) -> str:
        raw = values.get(field.column_name)
        try:
            parsed = field.widget.clean(raw)
        except (ValueError, OverflowError):
            return _text(raw)
        if isinstance(parsed, dt.datetime):
            try:
                return parsed.astimezone(dt.UTC).isoformat()
            except OverflowError:  # year 1 or 9999: refused by the row anyway
                return _text(raw)
        if isinstance(parsed, Decimal):
            return str(parsed.normalize())
        return "" if parsed is None else str(parsed)

    def _row_key(self) -> str | None:
        index = self.row_number - 1
        return self.keys[index] if 0 <= index < len(self.keys) else None

    def get_instance(self, instance_loader, row):
        raw_id = _text(row.get("id"))
        if raw_id:
            try:
                pk = self.fields["id"].widget.clean(raw_id)
            except ValueError as exc:
                raise ValidationError({"id": str(exc)}) from None
            order = self.by_id.get(pk)
            if order is None:
                raise ValidationError({"id": self.not_in_book(row)})
            return order
        key = self._row_key()
        return self.keyed.get(key) if key else None

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        if new:
            instance.import_key = self._row_key()
        elif self.validated:
            self.touched.add(instance.client_id)  # the client it may move from

    def row_prepare(self, instance: Order) -> None:
        self.touched.add(instance.client_id)

    def file_written(self) -> None:
        """What each Fix's ``post_save`` does on a single save, once per file.

        (``customers.receivers``, ``scoring.receivers``): the touched clients'
        order facts and summaries recomputed set-based in the caller's
        transaction, and one rescore per client on commit, however many of
        its Fixes the file has or however many chunks they fall in.
        """
        if self.touched:
            clients_orders_written(client_pks=self.touched)
        self.touched = set()

    def rows_write(self) -> None:
        """Write the chunk's Fixes in bulk; ``file_written`` does the clients."""
        if self.to_create:
            Order.objects.bulk_create(self.to_create, batch_size=1000)
        if self.to_update:
            # A Fix named on two rows is one object, holding the last row.
            unique = list({id(order): order for order in self.to_update}.values())
            names = [
                field.attribute
                for field in self.get_import_fields()
                if field.attribute and field.attribute != "id"
            ]
            Order.objects.bulk_update(unique, names, batch_size=1000)

    def visible(self, instance: Order) -> bool:
        return selectors.client_visible_to(self.user, instance.client)

    def key_column_of(self, row) -> str:
        return "id" if _text(row.get("id")) else "client_email"

    def not_in_book(self, row) -> str:
        raw_id = _text(row.get("id"))
        if raw_id:
            return f"no Fix #{raw_id} in your book"
        return "this Fix is not in your book"


class OrderJobResource(JobResourceMixin, OrderResource):
    """The order import of a background job (``JobResourceMixin``)."""

    class Meta:
        skip_diff = True
