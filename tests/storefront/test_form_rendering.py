"""The form renderer writes the plain widgets without templates, and the same HTML as
Django's templates: compared field by field, and on whole admin pages."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.signals import template_rendered
from django.test.utils import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from storefront.form_rendering import (
    ERROR_LIST_TEMPLATES,
    LABEL_TEMPLATE,
    OPTION_TEMPLATE,
    SELECT_TEMPLATE,
    TEXTAREA_TEMPLATE,
    PlainWidgetsRenderer,
)
from tests.factories import make_category, make_report

DJANGO = DjangoTemplates()
PLAIN = PlainWidgetsRenderer()
CHOICES = [
    ("", "---------"),
    (1, "One & <two>"),
    (gettext_lazy("Group"), [("a", gettext_lazy("Active")), ("b", mark_safe("<b>bold</b>"))]),
    (Decimal("2.5"), 3),
]


class EveryWidgetForm(forms.Form):
    text = forms.CharField(
        max_length=10, help_text="help",
        widget=forms.TextInput(attrs={"class": "wide", "placeholder": 'say "hi" & <go>',
                                      "disabled": False, "autofocus": True}),
    )  # fmt: skip
    safe_text = forms.CharField(required=False)
    number = forms.DecimalField(widget=forms.NumberInput(attrs={"step": "any"}))
    localized = forms.DecimalField(localize=True)
    whole = forms.IntegerField(min_value=0)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    day = forms.DateField()
    moment = forms.DateTimeField()
    time = forms.TimeField()
    upload = forms.FileField(required=False)
    clearable = forms.FileField(required=False, widget=forms.ClearableFileInput)
    tick = forms.BooleanField(required=False)
    untick = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    empty_notes = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(choices=CHOICES)
    several = forms.MultipleChoiceField(choices=CHOICES)
    radio = forms.ChoiceField(choices=CHOICES[1:2], widget=forms.RadioSelect)
    maybe = forms.NullBooleanField()
    split = forms.SplitDateTimeField(required=False)
    hidden_several = forms.MultipleChoiceField(
        choices=CHOICES, required=False, widget=forms.MultipleHiddenInput
    )


INITIAL = {
    "text": "<b>it's</b>",
    "safe_text": mark_safe("<i>safe</i>"),
    "number": Decimal("9.31"),
    "localized": Decimal("12345.5"),
    "whole": 1000000,
    "password": "secret & <x>",
    "hidden": "hidden",
    "day": datetime.date(2026, 3, 1),
    "moment": datetime.datetime(2026, 3, 1, 12, 30),
    "time": datetime.time(8, 5),
    "tick": True,
    "untick": False,
    "notes": "\nline one\n<script>",
    "choice": "b",
    "several": ["1", "a"],
    "maybe": None,
    "hidden_several": ["a", "b"],
}


def _html_of_every_part(form):
    """Each field's widget, label and errors as the admin renders them, and the form."""
    parts = [form.as_div(), form.non_field_errors().as_ul()]
    for field in form:
        parts += [
            str(field), field.label_tag(), field.legend_tag(), field.errors.as_ul(),
            str(field.errors), field.label_tag(attrs={"class": "required"}, tag="span"),
        ]  # fmt: skip
    return parts


@pytest.mark.parametrize("language", ["en", "zh-hans", "de"])
@pytest.mark.parametrize("bound", [False, True])
def test_every_plain_widget_renders_as_djangos_templates_do(language, bound):
    data = None
    if bound:
        data = {"text": "<b>it's</b> too long", "number": "x", "choice": "zz", "notes": "",
                "localized": "1.234,5", "several": ["a"], "tick": "on"}  # fmt: skip
    with override(language):
        django_html = _html_of_every_part(EveryWidgetForm(data, initial=INITIAL, renderer=DJANGO))
        plain_html = _html_of_every_part(EveryWidgetForm(data, initial=INITIAL, renderer=PLAIN))

    for django_part, plain_part in zip(django_html, plain_html, strict=True):
        assert plain_part == django_part
    joined = "".join(plain_html)
    assert "&lt;b&gt;it&#x27;s&lt;/b&gt;" in joined
    if bound:
        assert 'class="errorlist"' in joined
    else:
        assert "<i>safe</i>" in joined


def test_the_plain_widgets_render_no_template():
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    form = EveryWidgetForm(initial=INITIAL, renderer=PLAIN)
    template_rendered.connect(record)
    try:
        for name in ("text", "number", "tick", "notes", "choice", "several", "day"):
            str(form[name]), form[name].label_tag(), form[name].errors.as_ul()
        plain = list(rendered)
        str(form["radio"])  # not one of the plain widgets: through its templates
    finally:
        template_rendered.disconnect(record)

    assert plain == []
    assert rendered[0] == "django/forms/widgets/radio.html"


def test_it_is_the_default_renderer():
    assert isinstance(get_default_renderer(), PlainWidgetsRenderer)


def _page(client, url):
    html = client.get(url).content.decode()
    # The only differences between two responses: tokens and nonces.
    return re.sub(r'(csrfmiddlewaretoken" value="|nonce="|nonce-)[^"\';]+', "", html)


@pytest.mark.django_db
def test_the_report_admin_pages_are_the_same_as_with_djangos_renderer(admin_client):
    category = make_category(name_en="Healthcare & <care>")
    report = make_report(
        categories=[category], toc=[(1, "Intro", "简介"), (2, "Scope", "范围")],
    )
    urls = [
        reverse("admin:reports_report_change", args=[report.pk]),
        reverse("admin:reports_report_change", args=[report.pk]) + "?language=zh-hans",
        reverse("admin:reports_report_add"),
        reverse("admin:reports_report_changelist"),
    ]
    plain = [_page(admin_client, url) for url in urls]
    get_default_renderer.cache_clear()
    try:
        with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
            django = [_page(admin_client, url) for url in urls]
    finally:
        get_default_renderer.cache_clear()

    for plain_page, django_page in zip(plain, django, strict=True):
        assert plain_page == django_page
    assert 'name="toc_outline"' in plain[0] and "Healthcare &amp; &lt;care&gt;" in plain[0]
    # With the plain renderer, the page's text, number, hidden and checkbox inputs, selects,
    # options, text areas, labels and empty error lists render no template (Django's
    # renders one to three per field; the admin's date and file widgets still include
    # theirs).
    rendered = {template.name for template in admin_client.get(urls[0]).templates}
    written = ERROR_LIST_TEMPLATES | {
        SELECT_TEMPLATE, OPTION_TEMPLATE, TEXTAREA_TEMPLATE, LABEL_TEMPLATE,
        *(f"django/forms/widgets/{name}.html" for name in ("text", "number", "hidden", "checkbox")),
    }  # fmt: skip
    assert rendered and not rendered & written
