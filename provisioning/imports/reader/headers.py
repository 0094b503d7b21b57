"""The header vocabulary: the template's headers and example row, and the
spellings of other tools' exports that name the same attributes."""

from __future__ import annotations

import re

from provisioning.records import ATTRIBUTE_LABELS

# The header each attribute has in the template and in exports.
TEMPLATE_HEADERS: dict[str, str] = ATTRIBUTE_LABELS
TEMPLATE_EXAMPLE: dict[str, str] = {
    "email": "ada.lovelace@example.com",
    "external_id": "00123",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "manager_email": "charles.babbage@example.com",
    "manager_external_id": "",
    "job_title": "Analyst",
    "department": "Engineering",
    "phone_number": "+44 20 7946 0018",
    "location": "London",
    "start_date": "2025-09-01",
    "is_active": "Active",
    "groups": "Analysts; London office",
}

# Header spellings seen in other tools (Google Admin, Microsoft Entra, Okta,
# Workplace, HR systems), compared after ``normalise_header``. Where a file
# has columns from more than one tier of an attribute, the first tier wins
# and the later tiers fill in, row by row, the cells it leaves blank
# (``PREFERENCE``). Email is the exception: a user name column is read as
# the email only when the file has no email column at all.
_ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "email": (
        (
            "email",
            "emailaddress",
            "mail",
            "workemail",
            "workemailaddress",
            "primaryemail",
            "emailid",
            "businessemail",
        ),
        ("username", "userprincipalname", "upn", "login", "signinname"),
    ),
    "external_id": (
        (
            "externalid",
            "employeeid",
            "employeenumber",
            "employeeno",
            "employeecode",
            "empid",
            "workerid",
            "staffid",
            "staffnumber",
            "personnelnumber",
        ),
    ),
    "first_name": (("firstname", "givenname", "forename", "firstnames", "legalfirstname"),),
    "last_name": (("lastname", "surname", "familyname", "legallastname"),),
    "full_name": (("fullname", "displayname", "name", "employeename"),),
    "manager_email": (
        (
            "manageremail",
            "manageremailaddress",
            "managermail",
            "linemanageremail",
            "supervisoremail",
            "supervisoremailaddress",
            "reportstoemail",
        ),
        ("manager", "supervisor", "reportsto", "linemanager"),
    ),
    "manager_external_id": (
        (
            "managerexternalid",
            "manageremployeeid",
            "manageremployeenumber",
            "managerid",
            "linemanageremployeeid",
            "supervisorid",
            "supervisoremployeeid",
            "supervisoremployeenumber",
        ),
    ),
    "job_title": (
        ("jobtitle", "title", "employeetitle", "businesstitle", "position", "positiontitle"),
    ),
    "department": (("department", "dept", "orgdepartment", "departmentname"),),
    "phone_number": (
        (
            "phonenumber",
            "phone",
            "workphone",
            "workphonenumber",
            "businessphone",
            "officephone",
            "primaryphone",
            "telephone",
            "telephonenumber",
        ),
        ("mobile", "mobilephone", "mobilenumber", "mobilephonenumber", "cellphone", "cell"),
    ),
    "location": (
        (
            "location",
            "office",
            "officelocation",
            "worklocation",
            "site",
            "building",
            "officename",
        ),
    ),
    # Start Date before Hire Date: a rehire's hire date can be years earlier.
    "start_date": (
        (
            "startdate",
            "employmentstartdate",
            "employeestartdate",
            "firstday",
            "firstdayofwork",
            "firstworkingday",
            "joiningdate",
            "dateofjoining",
            "joindate",
        ),
        ("hiredate", "dateofhire", "employeehiredate", "latesthiredate", "mostrecenthiredate"),
        ("originalhiredate", "senioritydate", "continuousservicedate"),
    ),
    "is_active": (
        (
            "status",
            "isactive",
            "active",
            "accountstatus",
            "accountenabled",
            "enabled",
            "employmentstatus",
            "employeestatus",
            "userstatus",
        ),
        # Yes means the person may NOT sign in: read inverted.
        ("blocksignin", "signinblocked", "blocked", "accountdisabled"),
    ),
    # Google Admin's "Groups", Entra's "Member of", HR systems' "Teams";
    # mailing-list exports name the same memberships.
    "groups": (
        ("groups", "group", "groupnames", "groupmembership", "groupmemberships", "memberof"),
        ("teams", "team", "distributionlists", "distributionlist", "mailinglists"),
    ),
}
HEADER_TO_ATTRIBUTE: dict[str, str] = {
    alias: attribute for attribute, tiers in _ALIASES.items() for tier in tiers for alias in tier
}
HEADER_TIER: dict[str, int] = {
    alias: rank for tiers in _ALIASES.values() for rank, tier in enumerate(tiers) for alias in tier
}
# Headers whose Yes means "not active".
INVERTED_HEADERS = frozenset(_ALIASES["is_active"][1])
# Square brackets are annotations of the template ("[Required]",
# "[userPrincipalName]"); parentheses only when they say how to fill the
# column, as "Email (Personal)" names another column than "Email".
_BRACKETED = re.compile(
    r"\s*(\[[^\]\[]*\]|\(\s*(required|optional|yes\s*/\s*no|no\s*/\s*yes|true\s*/\s*false)\s*\))",
    re.IGNORECASE,
)
_TRAILING_WORD = re.compile(r"\s+(required|optional)\s*$", re.IGNORECASE)
NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)

MAX_LENGTHS: dict[str, int] = {
    "email": 254,
    "external_id": 255,
    "first_name": 150,
    "last_name": 150,
    "full_name": 300,
    "manager_email": 254,
    "manager_external_id": 255,
    "job_title": 200,
    "department": 200,
    "phone_number": 40,
    "location": 200,
}
# Attributes whose later-tier columns fill the blank cells of the preferred
# one; for the others a later tier is read only when no earlier one exists.
FILL_IN_ATTRIBUTES = frozenset({"phone_number", "is_active"})


def normalise_header(header: str) -> str:
    """Return ``header`` lower-cased without punctuation, spaces, bracketed
    parts ("[Required]", "[userPrincipalName]", "(Yes/No)") or a trailing
    "Required"; "#" reads as "number" ("Employee #" is "employeenumber")."""
    text = str(header or "").strip()
    stripped = _TRAILING_WORD.sub("", _BRACKETED.sub("", text)).strip()
    if not NON_ALNUM.sub("", stripped.replace("#", "number")):
        # Only brackets ("[email]"): read what they hold.
        stripped = re.sub(r"[\[\]()]", " ", text)
    return NON_ALNUM.sub("", stripped.replace("#", "number").casefold())


def attribute_label(attribute: str) -> str:
    return TEMPLATE_HEADERS.get(attribute, attribute)
