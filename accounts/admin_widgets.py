"""Give every admin form field the admin theme's widget.

unfold styles the widgets of model fields it builds itself; a field declared
on a form keeps Django's plain widget, which the theme draws as no box at
all. ``UnfoldWidgetsMixin`` swaps each plain widget for unfold's, keeping
its attributes (rows, autocomplete, maxlength), choices and options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from unfold import widgets as unfold

Swap = Callable[[forms.Widget], forms.Widget]


def _with_classes(classes: list[str]) -> Swap:
    def swap(widget: forms.Widget) -> forms.Widget:
        own = widget.attrs.get("class", "")
        widget.attrs["class"] = " ".join([*classes, own]).strip()
        return widget

    return swap


# Keyed by exact class: subclasses (unfold's own, Django's admin widgets)
# already carry their styling.
SWAPS: dict[type[forms.Widget], Swap] = {
    forms.TextInput: lambda w: unfold.UnfoldAdminTextInputWidget(attrs=w.attrs),
    forms.URLInput: lambda w: unfold.UnfoldAdminURLInputWidget(attrs=w.attrs),
    forms.EmailInput: lambda w: unfold.UnfoldAdminEmailInputWidget(attrs=w.attrs),
    forms.NumberInput: lambda w: unfold.UnfoldAdminIntegerFieldWidget(attrs=w.attrs),
    forms.PasswordInput: lambda w: unfold.UnfoldAdminPasswordWidget(
        attrs=w.attrs,
        render_value=w.render_value,  # type: ignore[attr-defined]
    ),
    forms.Textarea: lambda w: unfold.UnfoldAdminTextareaWidget(attrs=w.attrs),
    forms.Select: lambda w: unfold.UnfoldAdminSelectWidget(
        attrs=w.attrs,
        choices=w.choices,  # type: ignore[attr-defined]
    ),
    forms.SelectMultiple: lambda w: unfold.UnfoldAdminSelectMultipleWidget(
        attrs=w.attrs,
        choices=w.choices,  # type: ignore[attr-defined]
    ),
    forms.CheckboxSelectMultiple: lambda w: unfold.UnfoldAdminCheckboxSelectMultipleWidget(
        attrs=w.attrs,
        choices=w.choices,  # type: ignore[attr-defined]
    ),
    forms.RadioSelect: lambda w: unfold.UnfoldAdminRadioSelectWidget(
        attrs=w.attrs,
        choices=w.choices,  # type: ignore[attr-defined]
    ),
    forms.CheckboxInput: lambda w: unfold.UnfoldBooleanWidget(
        attrs=w.attrs,
        check_test=w.check_test,  # type: ignore[attr-defined]
    ),
    forms.DateTimeInput: _with_classes(unfold.DATETIME_CLASSES),
    forms.DateInput: _with_classes(unfold.DATETIME_CLASSES),
}


def style_widget(widget: forms.Widget) -> forms.Widget:
    """Return unfold's version of a plain Django ``widget`` (or ``widget`` itself)."""
    swap = SWAPS.get(type(widget))
    if swap is None:
        return widget
    styled = swap(widget)
    styled.is_required = widget.is_required
    styled.is_localized = widget.is_localized
    return styled


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Give each of ``form``'s fields the admin theme's widget, in place."""
    for field in form.fields.values():
        field.widget = style_widget(field.widget)
    return form


class UnfoldWidgetsMixin:
    """A form whose plain widgets are swapped for unfold's when it is made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_form(self)  # type: ignore[arg-type]
