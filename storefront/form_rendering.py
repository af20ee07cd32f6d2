"""The form renderer (settings.FORM_RENDERER): Django's, with its commonest widgets written
in Python.

Django renders every widget through a template, and the plain ones through two or three
(``text.html`` includes ``input.html``, which includes ``attrs.html``; a ``<select>``
includes ``select_option.html`` and ``attrs.html`` once per option), plus a template per
empty error list. The report's change page rendered about 950 templates for 160 fields,
more than half of its server time. This renderer writes the same HTML directly for the
inputs, text areas, selects and their options, labels and empty error lists, and passes
every other template (and any context it does not recognise) to Django's renderer, so
the HTML is the same byte for byte: tests/storefront/test_form_rendering.py compares both
for each of them.
"""

from types import SimpleNamespace

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
# Templates that are exactly {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "color", "search", "tel", "password",
        "hidden", "file", "date", "datetime", "time", "checkbox",
    )
)  # fmt: skip
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"
LABEL_TEMPLATE = "django/forms/label.html"
ERROR_LIST_TEMPLATES = frozenset(
    ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")
)
# How {{ value }} prints in a template rendered by the form renderer (a Context with
# autoescape on, the active time zone and localisation).
_TEMPLATE_CONTEXT = SimpleNamespace(autoescape=True, use_tz=None, use_l10n=None)


class NotPlain(Exception):
    """The context holds something the templates would treat differently: use them."""


def _value(value) -> str:
    """``{{ value }}``."""
    if callable(value):  # a template calls it first
        raise NotPlain
    return render_value_in_context(value, _TEMPLATE_CONTEXT)


def _as_string(value) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps a safe string safe)."""
    if callable(value):
        raise NotPlain
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs) -> str:
    """``django/forms/widgets/attrs.html`` (and ``django/forms/attrs.html``)."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(" " + _value(name))
        if value is not True:
            parts.append(f'="{_as_string(value)}"')
    return "".join(parts)


def _input(widget) -> str:
    value = widget["value"]
    shown = f' value="{_as_string(value)}"' if value is not None else ""
    return (
        f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"{shown}'
        f'{_attrs(widget["attrs"])}>'
    )


def _textarea(widget) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_value(value) if value else ''}</textarea>"
    )


def _option(option) -> str:
    if option["template_name"] != OPTION_TEMPLATE:
        raise NotPlain
    return (
        f'<option value="{_as_string(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_value(option['label'])}</option>"
    )


def _select(widget) -> str:
    parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in group_choices:
            # The included option template ends with a line break.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _label(context) -> str:
    if not context["use_tag"]:
        return _value(context["label"])
    tag = _value(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_value(context['label'])}</{tag}>"


def _plain_html(template_name, context) -> str | None:
    """The template's output written directly, or None when it is not one of these."""
    if template_name in INPUT_TEMPLATES:
        return _input(context["widget"])
    if template_name == SELECT_TEMPLATE:
        return _select(context["widget"])
    if template_name == TEXTAREA_TEMPLATE:
        return _textarea(context["widget"])
    if template_name == OPTION_TEMPLATE:
        return _option(context["widget"])
    if template_name == LABEL_TEMPLATE:
        return _label(context)
    if template_name in ERROR_LIST_TEMPLATES and not context["errors"]:
        return ""
    return None


class PlainWidgetsRenderer(DjangoTemplates):
    """Django's default renderer; the plain widgets above without their templates."""

    def render(self, template_name, context, request=None):
        try:
            html = _plain_html(template_name, context)
        except (NotPlain, KeyError, TypeError, AttributeError):
            html = None
        if html is None:
            return super().render(template_name, context, request=request)
        return html.strip()
