"""Changelist rows with the per-column work done once per page, not once per cell.

Django's ``items_for_result`` redoes for every cell what only depends on the
column: it looks the name up as a field (an exception for every computed
column), reads the empty-value setting, resolves the static URL of the boolean
icons, reverses the change URL and re-parses the preserved filters (a
``resolve()`` per row), then ``format_html`` per cell and a template loop per
cell. On a 50-row client list that was about 40% of the request's CPU under
load (``make bench-load``). Here the columns are worked out once, each row is
joined into one string, and the template loops over rows only.

The markup is Django's, byte for byte (``tests/stitchengage/test_admin_rows.py``
compares the two on every big list); a list with editable fields
(``list_editable``) or a popup keeps Django's own rendering.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, quote
from django.contrib.admin.utils import lookup_field as django_lookup_field
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A primary key no row has, to reverse the change URL once and fill rows in.
_PK_MARK = "STITCHPKMARK"
_ICON_VALUES = (True, False, None)
_MEMO_TYPES = frozenset({int, str, Decimal, type(None)})


class _Column:
    """One list_display entry: how to read a row's value and render its cell."""

    def __init__(self, cl: ChangeList, index: int, name: Any, *, link: bool):
        model_admin = cl.model_admin
        self.name = name
        self.link = link
        self.empty = model_admin.get_empty_value_display()
        self.base_class = f"field-{admin_list._coerce_field_name(name, index)}"
        self.reader: Callable[[Any], Any] | None = None
        self.attr: Any = None
        if callable(name):
            self.reader = self.attr = name
        elif (
            not _is_model_field(cl.lookup_opts, name)
            and hasattr(model_admin, name)
            and name != "__str__"
        ):
            # An admin method: lookup_field would first look for a model field
            # of that name (an exception each time), then call the method.
            self.reader = self.attr = getattr(model_admin, name)
        if self.reader is not None:
            self.empty = getattr(self.attr, "empty_value_display", self.empty)
            self.boolean = getattr(self.attr, "boolean", False)
        self._icons: dict[Any, str] = {}
        self._shown: dict[tuple[type, Any], Any] = {}

    def lookup(self, obj, model_admin) -> tuple[Any, Any, Any]:
        """Return (field, attr, value) as Django's ``lookup_field`` does."""
        if self.reader is None:
            return django_lookup_field(self.name, obj, model_admin)
        return None, self.attr, self.reader(obj)

    def icon(self, value, empty) -> str:
        """Return the boolean icon: one static() lookup per page, not per row."""
        key = value if value in _ICON_VALUES else object()
        if key not in self._icons:
            self._icons[key] = display_for_value(value, empty, True)
        return self._icons[key]

    def shown(self, value, field, empty) -> Any:
        """Return ``display_for_field``; once per distinct plain value per page.

        A page repeats few values per column (statuses, counts, ratings);
        their localisation (``number_format``) is what costs. Datetimes are
        mostly distinct and formatted each time.
        """
        if type(value) not in _MEMO_TYPES:
            return display_for_field(value, field, empty, avoid_link=self.link)
        key = (type(value), value)
        if key not in self._shown:
            self._shown[key] = display_for_field(
                value, field, empty, avoid_link=self.link
            )
        return self._shown[key]


def _is_model_field(opts, name: str) -> bool:
    try:
        opts.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _cell(column: _Column, obj, model_admin) -> tuple[Any, list[str]]:
    """Return a cell's content and classes, with Django's rules for each kind."""
    classes = [column.base_class]
    empty = column.empty
    try:
        f, attr, value = column.lookup(obj, model_admin)
    except ObjectDoesNotExist:
        return empty, classes
    if column.reader is None:
        empty = getattr(attr, "empty_value_display", empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    if f is None or f.auto_created:
        if column.name == "action_checkbox":
            classes = ["action-checkbox"]
        if column.reader is not None:
            boolean = column.boolean
        else:
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
        if boolean:
            result = column.icon(value, empty)
        else:
            result = display_for_value(value, empty)
        if isinstance(value, datetime.date | datetime.time):
            classes.append("nowrap")
        return result, classes
    if isinstance(f.remote_field, models.ManyToOneRel):
        field_value = getattr(obj, f.name)
        result = empty if field_value is None else field_value
    elif isinstance(f, models.BooleanField) and not getattr(f, "flatchoices", None):
        result = column.icon(value, empty)
    else:
        result = column.shown(value, f, empty)
    if isinstance(f, models.DateField | models.TimeField | models.ForeignKey):
        classes.append("nowrap")
    return result, classes


class _ChangeUrl:
    """The change URL of a row, with the list's filters preserved.

    Reversed and merged with the filters once, for a mark in place of the
    primary key; each row puts its own key in. A changelist that overrides
    ``url_for_result`` is asked for every row, as Django does.
    """

    def __init__(self, cl: ChangeList):
        self.cl = cl
        self.per_row = type(cl).url_for_result is not ChangeList.url_for_result
        self.parts: tuple[str, str] | None = None
        self.missing = False
        if self.per_row:
            return
        try:
            url = cl.url_for_result(SimpleNamespace(**{cl.pk_attname: _PK_MARK}))
        except NoReverseMatch:
            self.missing = True
            return
        prefix, _, suffix = self._preserved(url).partition(_PK_MARK)
        self.parts = (escape(prefix), escape(suffix))

    def _preserved(self, url: str) -> str:
        context = {"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts}
        return add_preserved_filters(context, url)

    def of(self, obj) -> str | None:
        """Return the row's escaped URL, or None when the view has no URL."""
        if self.missing:
            return None
        if self.parts is None:
            try:
                return escape(self._preserved(self.cl.url_for_result(obj)))
            except NoReverseMatch:
                return None
        pk = getattr(obj, self.cl.pk_attname)
        return f"{self.parts[0]}{escape(quote(pk))}{self.parts[1]}"


def _columns(cl: ChangeList) -> list[_Column]:
    """Return the list's columns; the link columns as ``items_for_result`` picks."""
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        if cl.list_display_links is None:
            link = False
        elif first and not cl.list_display_links:
            link = True
        else:
            link = name in cl.list_display_links
        columns.append(_Column(cl, index, name, link=link))
        first = first and not link
    return columns


def rows_render(cl: ChangeList) -> Iterator[SafeString]:
    """Yield each result's row cells (the inside of its ``<tr>``) as one string."""
    model_admin = cl.model_admin
    columns = _columns(cl)
    url = _ChangeUrl(cl)
    for obj in cl.result_list:
        cells = []
        first = True
        for column in columns:
            result, classes = _cell(column, obj, model_admin)
            content = conditional_escape(result)
            row_class = f' class="{" ".join(classes)}"'
            if column.link:
                tag = "th" if first else "td"
                first = False
                href = url.of(obj)
                if href is not None:
                    content = f'<a href="{href}">{content}</a>'
                cells.append(f"<{tag}{row_class}>{content}</{tag}>")
            else:
                cells.append(f"<td{row_class}>{content}</td>")
        yield mark_safe("".join(cells))  # noqa: S308 - every part escaped above


def results(cl: ChangeList) -> Iterator[ResultList]:
    """Yield rows for ``change_list_results.html``: one item per row here."""
    if cl.formset or cl.is_popup:
        yield from admin_list.results(cl)
        return
    for row in rows_render(cl):
        yield ResultList(None, [row])


def result_list(cl: ChangeList) -> dict:
    """Return Django's ``result_list`` context, with the rows from ``results``."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)),
    }


@register.tag(name="fast_result_list")
def result_list_tag(parser, token):
    """``{% fast_result_list cl %}``: Django's ``result_list`` with faster rows."""
    from django.contrib.admin.templatetags.base import InclusionAdminNode

    return InclusionAdminNode(
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
