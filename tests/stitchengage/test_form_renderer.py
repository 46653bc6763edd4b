"""The form renderer's Python templates render what Django's templates do."""

from __future__ import annotations

from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from emails.models import EmailStatus
from stitchengage import form_renderer
from stitchengage.form_renderer import FormRenderer
from tests.customers import factories
from tests.emails.factories import ReengagementEmailFactory

DJANGO_FORMS_TEMPLATES = Path(django.forms.__file__).parent / "templates"


def test_no_installed_app_overrides_the_templates_done_in_python():
    """Each template rendered in Python is Django's own file, not an app's."""
    engine = DjangoTemplates().engine
    for name in form_renderer._FAST:
        origin = Path(engine.get_template(name).origin.name)
        assert origin.is_relative_to(DJANGO_FORMS_TEMPLATES), (name, origin)


class Tricky(forms.Form):
    """Values and attributes that need escaping, safe strings, booleans."""

    name = forms.CharField(
        label=mark_safe("Name <em>(safe)</em>"),
        widget=forms.TextInput(attrs={"data-x": '"<&>', "required": True}),
    )
    note = forms.CharField(label='Note "<b>"', required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    age = forms.IntegerField(required=False, widget=forms.NumberInput({"min": 0}))
    agree = forms.BooleanField(required=False)
    when = forms.DateTimeField(required=False, widget=forms.DateTimeInput)
    email = forms.EmailField(required=False)
    grouped = forms.ChoiceField(
        required=False,
        choices=[
            ("", "---"),
            (
                'Tops <&> "more"',
                [("t<1>", 'Tee "<b>"'), ("t2", mark_safe("<i>Tank</i>"))],
            ),
            ("solo", "Solo"),
        ],
    )
    many = forms.MultipleChoiceField(
        required=False, choices=[("a", "A & B"), (3, "Three")]
    )
    styles = forms.MultipleChoiceField(
        required=False,
        choices=[("x", "X <y>"), ("Group", [("g1", "G1"), ("g2", "G2")])],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline <c>"}),
    )
    pick = forms.ChoiceField(
        required=False, choices=[("1", "One"), ("2", "Two")], widget=forms.RadioSelect
    )
    maybe = forms.NullBooleanField(required=False)
    text = forms.CharField(required=False, widget=forms.Textarea({"rows": 3}))


class CustomOption(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


class Unusual(forms.Form):
    """Widgets whose options name another template: left to the engine."""

    odd = forms.ChoiceField(choices=[("1", "One")], widget=CustomOption)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": '<script>"&', "note": mark_safe("<i>x</i>"), "age": "x"},
        {"name": "ok", "agree": "on", "when": "2026-01-02 03:04", "email": "a@b.c"},
        {
            "name": "x",
            "grouped": "t<1>",
            "many": ["a", "3"],
            "styles": ["x", "g2"],
            "pick": "2",
            "maybe": "true",
            "text": '<script>"a" & b\n</script>',
        },
    ],
    ids=["unbound", "invalid", "valid", "choices"],
)
def test_a_form_renders_the_same(data):
    """A whole form (inputs, labels, error lists) renders as Django renders it."""
    ours = Tricky(data, renderer=FormRenderer())
    djangos = Tricky(data, renderer=DjangoTemplates())
    assert str(ours) == str(djangos)
    for name in ours.fields:
        assert ours[name].label_tag() == djangos[name].label_tag()
        assert str(ours[name].errors) == str(djangos[name].errors)


def test_options_of_another_template_go_through_the_engine():
    assert str(Unusual(renderer=FormRenderer())) == str(
        Unusual(renderer=DjangoTemplates())
    )
    context = CustomOption(choices=[("1", "One")]).get_context("odd", "1", {})
    assert form_renderer._select(context) is None


@pytest.mark.django_db
def test_admin_pages_render_the_same(client, monkeypatch):
    """Every input, label and error list of the admin's forms is Django's markup."""
    seen = []
    render = FormRenderer.render

    def recording(self, template_name, context, request=None):
        html = render(self, template_name, context, request)
        if template_name in form_renderer._FAST:
            seen.append(
                (template_name, html, DjangoTemplates().render(template_name, context))
            )
        return html

    monkeypatch.setattr(FormRenderer, "render", recording)
    stylist = factories.StylistFactory()
    customer = factories.ClientFactory(
        stylist=stylist, stylist_notes='Likes "bold" <prints> & more'
    )
    order = factories.OrderFactory(client=customer)
    email = ReengagementEmailFactory(
        client=customer,
        status=EmailStatus.PENDING_REVIEW,
        subject="Hi <there>",
        body="Body",
    )
    pages = [
        (factories.ManagerFactory(), f"/admin/customers/client/{customer.pk}/change/"),
        (factories.ManagerFactory(), "/admin/customers/client/add/"),
        (stylist, f"/admin/customers/client/{customer.pk}/change/"),
        (stylist, f"/admin/customers/order/{order.pk}/change/"),
        (stylist, f"/admin/customers/order/add/?client={customer.pk}"),
        (
            factories.ReviewerFactory(),
            f"/admin/emails/reengagementemail/{email.pk}/change/",
        ),
        (
            factories.ReviewerFactory(),
            f"/admin/emails/reengagementemail/{email.pk}/edit/",
        ),
        (factories.SuperuserFactory(), f"/admin/auth/user/{stylist.pk}/password/"),
    ]
    for user, url in pages:
        client.force_login(user)
        assert client.get(url).status_code == 200, url
    client.force_login(factories.ManagerFactory())
    invalid = client.post(
        "/admin/customers/client/add/",
        {
            "email": "not an email",
            "orders-TOTAL_FORMS": "0",
            "orders-INITIAL_FORMS": "0",
        },
    )
    assert invalid.status_code == 200
    client.logout()
    assert client.get("/admin/login/").status_code == 200

    names = {name for name, _, _ in seen}
    assert {
        "django/forms/widgets/text.html",
        "django/forms/widgets/hidden.html",
        "django/forms/label.html",
        "django/forms/errors/list/ul.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/checkbox_select.html",
        "django/forms/widgets/textarea.html",
    } <= names
    assert any("errorlist" in theirs for _, _, theirs in seen), "no error shown"
    for name, ours, theirs in seen:
        assert ours == theirs, name
