"""The form renderer: Django's, with its three smallest templates done in Python.

An admin change page renders a template for every input, every label and
every field's error list, empty or not: the client page rendered 37 empty error
lists, 14 labels and 21 inputs per view, each a template render with its own
context, include and loop (about a third of the page's CPU under
``make bench-load``). Those templates are one line each
(``django/forms/widgets/input.html`` and the widgets that include it,
``django/forms/label.html``, ``django/forms/errors/list/ul.html`` when empty),
so they are written out here with the same escaping; every other template
still goes through the template engine. ``tests/stitchengage/test_form_renderer.py``
compares the output with Django's for every widget of the admin's pages, and
checks that no installed app overrides these templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe

# Django's widget templates that are exactly {% include ".../input.html" %}.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def _shown(value: Any) -> str:
    """Return ``{{ value }}``: str() unless a string, escaped unless safe."""
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value: Any) -> str:
    """Return ``{{ value|stringformat:'s' }}`` (safe input stays unescaped)."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict | None) -> str:
    """Return ``django/forms/widgets/attrs.html`` (and ``forms/attrs.html``)."""
    if not attrs:  # a label may have None: the template loops over nothing
        return ""
    return "".join(
        f" {_shown(name)}"
        if value is True
        else f' {_shown(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context: dict) -> str:
    widget = context["widget"]
    value = widget["value"]
    shown_value = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown_value}{_attrs(widget['attrs'])}>"
    )


def _label(context: dict) -> str:
    if not context["use_tag"]:
        return _shown(context["label"])
    tag = _shown(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_shown(context['label'])}</{tag}>"


def _errors(context: dict) -> str | None:
    # Only the empty list (nearly every field of every page) is done here.
    return None if context["errors"] else ""


_FAST: dict[str, Callable[[dict], str | None]] = {
    **dict.fromkeys(_INPUT_TEMPLATES, _input),
    "django/forms/label.html": _label,
    "django/forms/errors/list/ul.html": _errors,
    "django/forms/errors/list/default.html": _errors,
}


class FormRenderer(DjangoTemplates):
    """Django's default renderer; the smallest templates rendered in Python."""

    def render(self, template_name, context, request=None) -> SafeString | str:
        fast = _FAST.get(template_name)
        if fast is not None:
            html = fast(context)
            if html is not None:
                return mark_safe(html)  # noqa: S308 - every part escaped above
        return super().render(template_name, context, request)
