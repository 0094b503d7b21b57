"""What Roster's SCIM server publishes about itself: the User schema, its
enterprise extension, the resource types and the service provider config.

Only attributes Roster stores are published. Attributes that RFC 7643 defines
but Roster does not keep (``nickName``, ``locale``, ``addresses.postalCode``,
``costCenter``…) are listed in ``IGNORED`` so that requests carrying them are
accepted and the values dropped; any other attribute is refused with 400.
"""

from __future__ import annotations

from typing import Any

from provisioning.scim_server.meta_schemas import META_SCHEMAS

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200
DEFAULT_COUNT = 100


def _attr(
    name: str,
    *,
    type: str = "string",
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    description: str = "",
    sub: list[dict[str, Any]] | None = None,
    canonical: list[str] | None = None,
    reference_types: list[str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "type": type,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        spec["subAttributes"] = sub
    if canonical is not None:
        spec["canonicalValues"] = canonical
    if reference_types is not None:
        spec["referenceTypes"] = reference_types
    return spec


# Roster keeps one address, phone number and location per person, all "work".
USER_ATTRIBUTES: list[dict[str, Any]] = [
    _attr(
        "userName",
        required=True,
        uniqueness="server",
        description="The identifier the identity provider knows the person by (a UPN, a "
        "login, an email address): unique, compared case-insensitively, returned as sent.",
    ),
    _attr(
        "name",
        type="complex",
        description="The components of the person's name.",
        sub=[
            _attr("formatted", description="The full name; the same value as displayName."),
            _attr("familyName", description="Family name."),
            _attr("givenName", description="Given name."),
        ],
    ),
    _attr(
        "displayName",
        description="The full name shown in Roster. When a request sets both "
        "displayName and name.formatted, displayName is kept.",
    ),
    _attr("title", description="Job title."),
    _attr(
        "active",
        type="boolean",
        required=True,
        description="false once the person is deactivated. Requests that leave "
        "it out keep the current state (a new person is active).",
    ),
    _attr(
        "emails",
        type="complex",
        multi=True,
        required=True,
        description="Email addresses. Roster keeps one: the primary, else the work one, "
        "else the first (else userName, when it is an email address). The list is "
        "returned as sent while that address is still the person's email.",
        sub=[
            _attr("value", required=True, description="Email address."),
            _attr("type", canonical=["work", "home", "other"], description="Kind of address."),
            _attr("primary", type="boolean", description="The address Roster keeps."),
        ],
    ),
    _attr(
        "phoneNumbers",
        type="complex",
        multi=True,
        description="The work phone number, returned as sent. Roster also keeps it in "
        "E.164 form, parsed with the organisation's default region; a number it cannot "
        "parse is kept as sent and marked unverified.",
        sub=[
            _attr("value", description="Phone number."),
            _attr("type", canonical=["work"], description="Only work numbers are kept."),
        ],
    ),
    _attr(
        "addresses",
        type="complex",
        multi=True,
        description="The work location; only its locality is kept.",
        sub=[
            _attr("locality", description="City or site the person works at."),
            _attr("type", canonical=["work"], description="Only work addresses are kept."),
        ],
    ),
]

ENTERPRISE_ATTRIBUTES: list[dict[str, Any]] = [
    _attr(
        "employeeNumber",
        description="Roster's external ID, the same value as externalId. When a "
        "request sets both, externalId is kept.",
    ),
    _attr("department", description="Department."),
    _attr(
        "manager",
        type="complex",
        description="The person's manager, by Roster id.",
        sub=[
            _attr("value", description="The id of the manager's User resource."),
            _attr(
                "$ref",
                type="reference",
                reference_types=["User"],
                description="The URI of the manager's User resource.",
            ),
        ],
    ),
]

GROUP_ATTRIBUTES: list[dict[str, Any]] = [
    _attr(
        "displayName",
        required=True,
        uniqueness="server",
        description="The group's name; unique, compared case-insensitively.",
    ),
    _attr(
        "members",
        type="complex",
        multi=True,
        description="The people in the group (Roster groups hold people only).",
        sub=[
            _attr(
                "value",
                mutability="immutable",
                description="The id of a member's User resource.",
            ),
            _attr(
                "$ref",
                type="reference",
                mutability="immutable",
                reference_types=["User"],
                description="The URI of the member's User resource.",
            ),
            _attr(
                "type",
                mutability="immutable",
                canonical=["User"],
                description="Always User.",
            ),
        ],
    ),
]

# Attributes RFC 7643 defines that Roster accepts and drops.
IGNORED: dict[str, set[str]] = {
    CORE: {
        "nickname",
        "profileurl",
        "usertype",
        "preferredlanguage",
        "locale",
        "timezone",
        "password",
        "ims",
        "photos",
        "groups",
        "entitlements",
        "roles",
        "x509certificates",
    },
    ENTERPRISE: {"costcenter", "organization", "division"},
}
IGNORED_SUB: dict[str, set[str]] = {
    "name": {"middlename", "honorificprefix", "honorificsuffix"},
    "emails": {"display"},
    "phonenumbers": {"display", "primary"},
    "addresses": {"formatted", "streetaddress", "region", "postalcode", "country", "primary"},
    "manager": {"displayname"},
}


def _index(attrs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["name"].lower(): a for a in attrs}


CORE_INDEX = _index(USER_ATTRIBUTES)
ENTERPRISE_INDEX = _index(ENTERPRISE_ATTRIBUTES)
SUB_INDEX: dict[str, dict[str, dict[str, Any]]] = {
    a["name"].lower(): _index(a["subAttributes"])
    for a in USER_ATTRIBUTES + ENTERPRISE_ATTRIBUTES
    if "subAttributes" in a
}
COMMON = {"id": "id", "externalid": "externalId", "meta": "meta", "schemas": "schemas"}


def schema_resources(base: str) -> list[dict[str, Any]]:
    """Return every schema /Schemas publishes, with its location under ``base``."""
    user = {
        "schemas": [SCHEMA_SCHEMA],
        "id": CORE,
        "name": "User",
        "description": "A person in Roster.",
        "attributes": USER_ATTRIBUTES,
    }
    enterprise = {
        "schemas": [SCHEMA_SCHEMA],
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Enterprise attributes of a person in Roster.",
        "attributes": ENTERPRISE_ATTRIBUTES,
    }
    group = {
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP,
        "name": "Group",
        "description": "A group of people in Roster (a team or department).",
        "attributes": GROUP_ATTRIBUTES,
    }
    out = []
    for schema in [user, enterprise, group, *META_SCHEMAS]:
        item = dict(schema)
        item["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{item['id']}"}
        out.append(item)
    return out


def resource_types(base: str) -> list[dict[str, Any]]:
    """Return the resource types: User and Group."""
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People in Roster.",
            "schema": CORE,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of people in Roster.",
            "schema": GROUP,
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


def service_provider_config(base: str, documentation_uri: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token a System administrator issues to one SCIM "
                "client in Roster's admin panel or with `manage.py scim_client create`.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }
    if documentation_uri:
        config["documentationUri"] = documentation_uri
    return config
