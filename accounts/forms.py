"""Admin forms: they parse what was typed; accounts.services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from unfold.widgets import UnfoldAdminEmailInputWidget, UnfoldAdminTextInputWidget

from accounts import services
from accounts.actors import Actor
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError, InvalidPerson
from accounts.models import AllowedDomain, Person

PERSON_FIELDS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager",
    "job_title",
    "department",
    "phone_number",
    "location",
    "start_date",
)


class ServiceForm(forms.ModelForm):
    """A model form that leaves every rule to a service.

    It skips the model's own validation (uniqueness, constraints) so that the
    service's messages are the ones people see, on the field they concern.
    """

    def _post_clean(self) -> None:
        pass

    def show_domain_error(self, error: DomainError) -> None:
        """Put a service's refusal on the fields it names (or on the whole form)."""
        if isinstance(error, InvalidPerson):
            for name, message in error.errors.items():
                self.add_error(name if name in self.fields else None, message)
        else:
            self.add_error(None, error.message)


class PersonForm(ServiceForm):
    """Add or edit a person; saved through create_person/update_person (and set_role)."""

    # Email and phone are checked by the service, so people see one message
    # worded by the domain rather than the form field's generic one.
    email = forms.CharField(max_length=254, widget=UnfoldAdminEmailInputWidget)
    phone_number = forms.CharField(
        max_length=40,
        required=False,
        widget=UnfoldAdminTextInputWidget,
        help_text="Any common format; stored in international form.",
    )

    class Meta:
        model = Person
        fields = [*PERSON_FIELDS, "role"]
        help_texts = {
            "full_name": "Leave blank to use the first name followed by the last name.",
            "external_id": "The person's ID in the organisation's directory (externalId).",
            "start_date": "Their first working day; invitations can be sent on it.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["phone_number"] = self.instance.phone_display

    def save_through_services(self, *, by: Person | Actor) -> Person:
        """Create or update the person from the cleaned data; raise DomainError if refused."""
        values = {name: self.cleaned_data[name] for name in PERSON_FIELDS if name in self.fields}
        if self.instance.pk is None:
            person = services.create_person(by=by, **values)
        else:
            changed = {name: values[name] for name in self.changed_data if name in values}
            person = services.update_person(self.instance, by=by, **changed)
        if "role" in self.fields and "role" in self.changed_data:
            person = services.set_role(person, role=self.cleaned_data["role"], by=by)
        return person


class AllowedDomainForm(ServiceForm):
    """Add a domain to the allow-list through add_allowed_domain."""

    domain = forms.CharField(
        max_length=253,
        widget=UnfoldAdminTextInputWidget,
        help_text="For example example.org (no @).",
    )

    class Meta:
        model = AllowedDomain
        fields = ["domain", "is_verified"]

    def save_through_services(self, *, by: Person | Actor) -> AllowedDomain:
        return services.add_allowed_domain(
            self.cleaned_data["domain"],
            is_verified=self.cleaned_data.get("is_verified", False),
            by=by,
        )


class DeactivateForm(UnfoldWidgetsMixin, forms.Form):
    """The optional reason asked for on the deactivation confirmation page."""

    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Reason (optional)",
        help_text="Kept in the audit log.",
    )
