"""The form renderer: Django's, with its three smallest templates done in Python.

An admin change page renders a template for every input, every label and
every field's error list, empty or not: the client page rendered 37 empty error
lists, 14 labels and 21 inputs per view, each a template render with its own
context, include and loop (about a third of the page's CPU under
``make bench-load``). Those templates are one line each
(``django/forms/widgets/input.html`` and the widgets that include it,
``django/forms/label.html``, ``django/forms/errors/list/ul.html`` when empty),
so they are written out here with the same escaping. So are the choice
widgets (``select.html`` with its options, ``checkbox_select.html`` and
``radio.html`` with theirs) and ``textarea.html``: the client page's style,
quiet-day, budget and size choices and the "Add a Fix" row's selects were
another fifth of its CPU. A widget whose options name another template goes
through the engine, as does every other template.
``tests/stitchengage/test_form_renderer.py`` compares the output with Django's
for every widget of the admin's pages, and checks that no installed app
overrides these templates.
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
    return _input_html(context["widget"]).rstrip("\n")


def _input_html(widget: dict) -> str:
    """Return ``django/forms/widgets/input.html`` as included (its newline kept)."""
    value = widget["value"]
    shown_value = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown_value}{_attrs(widget['attrs'])}>\n"
    )


def _select_option(option: dict) -> str:
    """Return ``select_option.html`` as included."""
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_shown(option['label'])}</option>\n"
    )


def _input_option(option: dict) -> str:
    """Return ``checkbox_option.html`` / ``radio_option.html`` as included."""
    html = _input_html(option)
    if option["wrap_label"]:
        option_id = option["attrs"].get("id")
        label_for = f' for="{_shown(option_id)}"' if option_id else ""
        html = f"<label{label_for}>{html} {_shown(option['label'])}</label>"
    return html + "\n\n"


_SELECT_OPTION = "django/forms/widgets/select_option.html"
_INPUT_OPTIONS = frozenset(
    (
        "django/forms/widgets/checkbox_option.html",
        "django/forms/widgets/radio_option.html",
    )
)


def _select(context: dict) -> str | None:
    widget = context["widget"]
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != _SELECT_OPTION:
                return None
            parts.append(f"\n  {_select_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple_input(context: dict) -> str | None:
    """Return ``checkbox_select.html`` / ``radio.html`` (``multiple_input.html``)."""
    widget = context["widget"]
    attrs = widget["attrs"]
    shown_id = f' id="{_shown(attrs["id"])}"' if attrs.get("id") else ""
    shown_class = f' class="{_shown(attrs["class"])}"' if attrs.get("class") else ""
    parts = [f"<div{shown_id}{shown_class}>"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_shown(group)}</label>")
        for option in options:
            if option["template_name"] not in _INPUT_OPTIONS:
                return None
            parts.append(f"<div>\n    {_input_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _textarea(context: dict) -> str:
    widget = context["widget"]
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{value}</textarea>"
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
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/checkbox_select.html": _multiple_input,
    "django/forms/widgets/radio.html": _multiple_input,
    "django/forms/widgets/textarea.html": _textarea,
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
