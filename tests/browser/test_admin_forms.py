"""Every box of the admin's forms can be seen: a border or a background of its own."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Person
from provisioning.scim import services as scim_services
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For each visible field: its name, and whether it has a border or a
# background that differs from the page's.
UNSEEN_FIELDS = """() => {
  const page = getComputedStyle(document.body).backgroundColor;
  const clear = (c) => c === "rgba(0, 0, 0, 0)" || c === "transparent";
  const boxes = document.querySelectorAll(
    "#content input:not([type=hidden]), #content textarea, #content select, " +
    "form input:not([type=hidden]), form textarea, form select"
  );
  const unseen = [];
  const seen = new Set();
  for (const el of boxes) {
    if (seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || style.visibility === "hidden") continue;
    // Some fields are drawn by a box around them; that box is what people see:
    // the theme's file field (a hidden file input and its file name), and the
    // autocomplete's box in place of its select.
    let shown = [el];
    const fileLabel = el.closest("label");
    if (fileLabel && fileLabel.querySelector("input[type=file]")) {
      shown = [fileLabel.parentElement];
    } else if (el.classList.contains("select2-hidden-accessible")) {
      const box = el.nextElementSibling;
      shown = box ? [box, ...box.querySelectorAll(".select2-selection")] : [el];
    }
    const boxed = (node) => {
      const s = getComputedStyle(node);
      const border = ["Top", "Right", "Bottom", "Left"].some(
        (side) => parseFloat(s[`border${side}Width`]) > 0 && s[`border${side}Style`] !== "none"
      );
      return border || (!clear(s.backgroundColor) && s.backgroundColor !== page);
    };
    if (!shown.some(boxed)) unseen.push(el.name || el.id || el.outerHTML.slice(0, 80));
  }
  return {unseen, count: seen.size};
}"""


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")


def _unseen_fields(page, url: str) -> tuple[list[str], int]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    result = page.evaluate(UNSEEN_FIELDS)
    return result["unseen"], result["count"]


def test_every_admin_form_field_has_a_visible_box(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")
    person = PersonFactory()
    target = scim_services.create_target(
        name="Slack", base_url="https://slack.example/scim/v2", by=admin
    )
    _sign_in(page, live_server, "admin@example.com")

    forms = {
        "SCIM target add": reverse("admin:provisioning_scimtarget_add"),
        "SCIM target change": reverse("admin:provisioning_scimtarget_change", args=[target.pk]),
        "Google provider add": reverse("admin:provisioning_identitysource_add") + "?kind=google",
        "Entra provider add": reverse("admin:provisioning_identitysource_add") + "?kind=entra",
        "import upload": reverse("admin:provisioning_importjob_add"),
        "person add": reverse("admin:accounts_person_add"),
        "person change": reverse("admin:accounts_person_change", args=[person.pk]),
        "invitation": reverse("admin:accounts_person_invite_detail", args=[person.pk]),
        "deactivation": reverse("admin:accounts_person_deactivate_detail", args=[person.pk]),
        "allowed domain add": reverse("admin:accounts_alloweddomain_add"),
    }
    problems = {}
    for name, path in forms.items():
        unseen, count = _unseen_fields(page, live_server.url + path)
        assert count, f"{name}: no fields found"
        if unseen:
            problems[name] = unseen
    assert problems == {}
    assert Person.objects.count() == 2


def test_the_connection_fields_of_a_new_provider_are_boxes(page, live_server):
    PersonFactory(admin=True, email="admin@example.com")
    _sign_in(page, live_server, "admin@example.com")
    page.goto(live_server.url + reverse("admin:provisioning_identitysource_add"))
    for field in ("service_account_json", "client_secret", "tenant_id", "admin_email"):
        box = page.locator(f'[name="{field}"]')
        assert box.is_visible()
        width = box.evaluate("el => parseFloat(getComputedStyle(el).borderTopWidth)")
        assert width > 0, field


def test_the_site_serves_a_favicon(page, live_server):
    response = page.goto(live_server.url + "/favicon.ico")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
