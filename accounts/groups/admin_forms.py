"""The group form: name, kind and the rule, built in the page's rule editor.

The editor (static/js/group_rule_editor.js) writes the whole rule, nested
groups included, as JSON into ``rule_json``. Without scripts the page falls
back to five flat condition rows joined by "all" or "any".
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from accounts.actors import Actor
from accounts.exceptions import DomainError
from accounts.forms import ServiceForm
from accounts.groups import rules, services
from accounts.groups.exceptions import InvalidGroup, InvalidRule
from accounts.models import Group, Person

RULE_ROWS = 5
OPERATOR_CHOICES = [("", "—"), *rules.OPERATOR_LABELS.items()]


def _attribute_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(name, a.label) for name, a in rules.attributes().items()]


class GroupForm(ServiceForm):
    """Add or edit a group; saved through create_group/update_group.

    A rule-based group's rule comes from ``rule_json`` (the rule editor) when
    posted; otherwise from up to five flat condition rows joined by "all" or
    "any" (a nested rule is then kept as it is unless the rows are edited).
    """

    rule_json = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100_000)

    match = forms.ChoiceField(
        label="Members match",
        choices=[("all", "all of these conditions"), ("any", "any of these conditions")],
        required=False,
        initial="all",
    )

    # The condition rows, declared on the class so the admin knows them.
    for _i in range(RULE_ROWS):
        locals()[f"attribute_{_i}"] = forms.ChoiceField(
            label="Attribute", choices=[("", "—")], required=False
        )
        locals()[f"operator_{_i}"] = forms.ChoiceField(
            label="Operator", choices=OPERATOR_CHOICES, required=False
        )
        locals()[f"value_{_i}"] = forms.CharField(
            label="Value",
            required=False,
            max_length=500,
            help_text="For 'is one of', separate values with commas; for a manager, "
            "their email or id.",
        )
    del _i

    class Meta:
        model = Group
        fields = ["name", "description", "external_id", "kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "description" in self.fields:
            self.fields["description"].required = False
        rule = self.instance.rule if self.instance.pk else {}
        flat = [c for c in rule.get("conditions", []) if "conditions" not in c]
        self.fields["match"].initial = rule.get("match", "all")
        for i in range(RULE_ROWS if "attribute_0" in self.fields else 0):
            condition = flat[i] if i < len(flat) else {}
            value = condition.get("value", "")
            attribute_field = self.fields[f"attribute_{i}"]
            assert isinstance(attribute_field, forms.ChoiceField)
            attribute_field.choices = _attribute_choices()
            attribute_field.initial = condition.get("attribute", "")
            self.fields[f"operator_{i}"].initial = condition.get("operator", "")
            self.fields[f"value_{i}"].initial = (
                ", ".join(value) if isinstance(value, list) else value
            )

    def rule_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"attribute_{i}"], self[f"operator_{i}"], self[f"value_{i}"])
            for i in range(RULE_ROWS)
        ]

    # The condition the last InvalidRule concerns, for the editor to show it there.
    rule_error: dict[str, Any] | None = None

    def built_rule(self) -> dict[str, Any]:
        """Return the rule the editor or the rows describe (not yet validated).

        Raises InvalidRule for JSON that cannot be read or a manager's email
        nobody has.
        """
        data = self.cleaned_data
        if (data.get("rule_json") or "").strip():
            try:
                rule = json.loads(data["rule_json"])
            except ValueError:
                raise InvalidRule("The rule editor sent a rule that cannot be read.") from None
            return _with_manager_ids(rule)
        conditions = []
        for i in range(RULE_ROWS):
            attribute, value = data.get(f"attribute_{i}"), (data.get(f"value_{i}") or "").strip()
            if not attribute:
                continue
            operator = data.get(f"operator_{i}") or "is"
            parsed: Any = value
            if operator == "in":
                parsed = [v.strip() for v in value.split(",") if v.strip()]
            elif attribute in ("manager", "reports_to") and "@" in value:
                found = Person.objects.filter(email__iexact=value).first()
                if found is None:
                    raise InvalidRule(f"No person has the email {value}.")
                parsed = found.pk
            conditions.append({"attribute": attribute, "operator": operator, "value": parsed})
        return {"match": data.get("match") or "all", "conditions": conditions}

    def _rows_changed(self) -> bool:
        return any(
            n.split("_")[0] in ("attribute", "operator", "value", "match")
            for n in self.changed_data
        )

    def show_domain_error(self, error: DomainError) -> None:
        if isinstance(error, InvalidGroup):
            for name, message in error.errors.items():
                self.add_error(name if name in self.fields else None, message)
        elif isinstance(error, InvalidRule) and (self.cleaned_data.get("rule_json") or "").strip():
            # Shown at the top and, by the editor, next to the condition concerned.
            self.rule_error = {"path": list(error.path), "message": error.message}
            self.add_error(None, error.message)
        elif isinstance(error, InvalidRule):
            self.add_error("attribute_0", error.message)
        else:
            self.add_error(None, error.message)

    def save_through_services(self, *, by: Person | Actor) -> Group:
        """Create or update the group from the cleaned data; raise DomainError if refused."""
        data = self.cleaned_data
        kind = data["kind"]
        rule: dict[str, Any] | None = None
        if kind == Group.Kind.RULE:
            from_editor = bool((data.get("rule_json") or "").strip())
            keep = (
                not from_editor
                and self.instance.pk
                and self.instance.rule
                and not self._rows_changed()
            )
            rule = self.instance.rule if keep else self.built_rule()
        if self.instance.pk is None:
            return services.create_group(
                name=data["name"],
                description=data.get("description", ""),
                external_id=data.get("external_id"),
                kind=kind,
                rule=rule,
                by=by,
            )
        return services.update_group(
            self.instance,
            name=data["name"],
            description=data.get("description", ""),
            external_id=data.get("external_id"),
            kind=kind,
            rule=rule,
            by=by,
        )


def _with_manager_ids(node: Any, path: tuple[int, ...] = ()) -> Any:
    """Return ``node`` with managers given by email replaced by their id."""
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("conditions"), list):
        return {
            **node,
            "conditions": [
                _with_manager_ids(c, (*path, i)) for i, c in enumerate(node["conditions"])
            ],
        }
    value = node.get("value")
    if node.get("attribute") in ("manager", "reports_to") and isinstance(value, str):
        value = value.strip()
        if "@" in value:
            found = Person.objects.filter(email__iexact=value).first()
            if found is None:
                raise InvalidRule(f"No person has the email {value}.", path=path)
            value = found.pk
        return {**node, "value": value}
    return node


def editor_rule(form: GroupForm) -> dict[str, Any]:
    """Return the rule the editor starts from: what was posted, else the group's."""
    posted = form.data.get("rule_json") if form.is_bound else None
    if posted:
        try:
            rule = json.loads(posted)
        except ValueError:
            rule = None
        if isinstance(rule, dict):
            return rule
    if form.instance.pk and form.instance.rule:
        return dict(form.instance.rule)
    return {"match": "all", "conditions": []}


class AddMembersForm(forms.Form):
    """People to add to a static group: emails or ids, one per line or comma."""

    people = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Emails or person ids, separated by commas or new lines.",
    )

    def person_ids(self) -> list[str]:
        """Return the ids named; an unknown email is returned as is (and refused)."""
        tokens = [t.strip() for t in self.cleaned_data["people"].replace(",", "\n").splitlines()]
        tokens = [t for t in tokens if t]
        emails = [t for t in tokens if "@" in t]
        found = {
            e.lower(): str(pk)
            for pk, e in Person.objects.filter(email__in=emails).values_list("pk", "email")
        }
        # Emails compare case-insensitively; only unmatched ones need a second look.
        for t in emails:
            if t.lower() not in found:
                match = Person.objects.filter(email__iexact=t).values_list("pk", flat=True).first()
                if match is not None:
                    found[t.lower()] = str(match)
        return [found.get(t.lower(), t) if "@" in t else t for t in tokens]
