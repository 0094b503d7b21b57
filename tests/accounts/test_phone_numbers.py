"""Phone numbers: any number of a possible length for its region is kept, as E.164."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.exceptions import InvalidPerson
from accounts.models import Person
from tests.provisioning.conftest import HEADERS, apply_now, csv_bytes, preview

pytestmark = pytest.mark.django_db

# UK mobile ranges that libphonenumber's metadata does not list as allocated.
UNALLOCATED_BUT_REAL = [
    ("+44 7911 555001", "+447911555001"),
    ("07911 555010", "+447911555010"),
]


@pytest.mark.parametrize(("typed", "stored"), UNALLOCATED_BUT_REAL)
def test_create_person_keeps_numbers_in_unallocated_ranges(admin_user, settings, typed, stored):
    settings.ROSTER_PHONE_REGION = "GB"
    person = services.create_person(email="ada@example.com", phone_number=typed, by=admin_user)
    person.refresh_from_db()
    # Saved through the person_phone_e164 CHECK constraint.
    assert person.phone_number == stored
    assert person.phone_display == "+44 7911 555" + stored[-3:]


def test_number_too_short_for_its_region_is_still_refused(admin_user, settings):
    settings.ROSTER_PHONE_REGION = "GB"
    with pytest.raises(InvalidPerson) as exc:
        services.create_person(email="ada@example.com", phone_number="12345", by=admin_user)
    assert exc.value.errors == {"phone_number": "“12345” is not a valid phone number."}
    assert not Person.objects.filter(email="ada@example.com").exists()


@pytest.mark.postgres
def test_import_keeps_numbers_in_unallocated_ranges(admin_user, settings, tmp_path):
    settings.ROSTER_PHONE_REGION = "GB"
    rows = [HEADERS]
    for n, (typed, _) in enumerate(UNALLOCATED_BUT_REAL):
        rows.append([f"p{n}@example.com", "", "", "", "", "", "", typed, ""])
    job, _plan = preview(csv_bytes(rows), admin_user)
    assert job.counts["errors"] == 0
    assert job.counts["new"] == 2
    apply_now(job, admin_user)
    assert dict(
        Person.objects.filter(email__startswith="p").values_list("email", "phone_number")
    ) == {"p0@example.com": "+447911555001", "p1@example.com": "+447911555010"}
