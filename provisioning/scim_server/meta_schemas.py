"""RFC 7643 §7 descriptions of the discovery resources themselves.

Published at /Schemas next to the User schema, as RFC 7644 §4 asks.
"""

META_SCHEMAS: list[dict] = [
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
        "name": "ServiceProviderConfig",
        "description": "ServiceProviderConfig",
        "attributes": [
            {
                "name": "id",
                "type": "string",
                "multiValued": False,
                "description": "A unique identifier for a SCIM resource as defined by the "
                "service\n"
                "provider.",
                "required": False,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "global",
            },
            {
                "name": "documentationUri",
                "type": "reference",
                "multiValued": False,
                "description": "An HTTP-addressable URL pointing to the service provider's "
                "human-\n"
                "consumable help documentation.",
                "required": False,
                "caseExact": True,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "referenceTypes": ["external"],
            },
            {
                "name": "patch",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies PATCH configuration options.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    }
                ],
            },
            {
                "name": "bulk",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies bulk configuration options.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "maxOperations",
                        "type": "integer",
                        "multiValued": False,
                        "description": "An integer value specifying the maximum "
                        "number of operations.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "maxPayloadSize",
                        "type": "integer",
                        "multiValued": False,
                        "description": "An integer value specifying the maximum "
                        "payload size in bytes.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                ],
            },
            {
                "name": "filter",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies FILTER options.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "maxResults",
                        "type": "integer",
                        "multiValued": False,
                        "description": "An integer value specifying the maximum "
                        "number of resources returned in a "
                        "response.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                ],
            },
            {
                "name": "changePassword",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies configuration options related "
                "to changing\n"
                "a password.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    }
                ],
            },
            {
                "name": "sort",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies sort result options.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    }
                ],
            },
            {
                "name": "etag",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies ETag configuration options.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "supported",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying whether or "
                        "not the operation is supported.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    }
                ],
            },
            {
                "name": "authenticationSchemes",
                "type": "complex",
                "multiValued": True,
                "description": "A complex type that specifies supported authentication "
                "scheme\n"
                "properties.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "type",
                        "type": "string",
                        "multiValued": False,
                        "description": "The authentication scheme.",
                        "required": True,
                        "canonicalValues": [
                            "oauth",
                            "oauth2",
                            "oauthbearertoken",
                            "httpbasic",
                            "httpdigest",
                        ],
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "name",
                        "type": "string",
                        "multiValued": False,
                        "description": "The common authentication scheme name, e.g., HTTP Basic.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "description",
                        "type": "string",
                        "multiValued": False,
                        "description": "A description of the authentication scheme.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "specUri",
                        "type": "reference",
                        "multiValued": False,
                        "description": "An HTTP-addressable URL pointing to the "
                        "authentication scheme's\n"
                        "specification.",
                        "required": False,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                        "referenceTypes": ["external"],
                    },
                    {
                        "name": "documentationUri",
                        "type": "reference",
                        "multiValued": False,
                        "description": "An HTTP-addressable URL pointing to the "
                        "authentication scheme's usage\n"
                        "documentation.",
                        "required": False,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                        "referenceTypes": ["external"],
                    },
                    {
                        "name": "primary",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value indicating the 'primary' "
                        "or preferred attribute value\n"
                        "for this attribute, e.g., the preferred "
                        "mailing address or primary email\n"
                        "address.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                ],
            },
            {
                "name": "pagination",
                "type": "complex",
                "multiValued": False,
                "description": "A complex type that specifies pagination configuration options.",
                "required": False,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "cursor",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying support of "
                        "cursor-based pagination.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "index",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value specifying support of "
                        "index-based pagination.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "defaultPaginationMethod",
                        "type": "string",
                        "multiValued": False,
                        "description": "A string value specifying the type of "
                        "pagination that the service provider "
                        "defaults to when the client has not "
                        "specified which method it wishes to use. "
                        'Possible values are "cursor" and '
                        '"index".',
                        "required": False,
                        "canonicalValues": ["cursor", "index"],
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "defaultPageSize",
                        "type": "integer",
                        "multiValued": False,
                        "description": "Positive integer value specifying the "
                        "default number of results returned in a "
                        "page when a count is not specified in "
                        "the query.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "maxPageSize",
                        "type": "integer",
                        "multiValued": False,
                        "description": "Positive integer specifying the maximum "
                        "number of results returned in a page "
                        "regardless of what is specified for the "
                        "count in a query. The maximum number of "
                        "results returned may be further "
                        "restricted by other criteria.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "cursorTimeout",
                        "type": "integer",
                        "multiValued": False,
                        "description": "Positive integer specifying the minimum "
                        "number of seconds that a cursor is valid "
                        "between page requests. Clients waiting "
                        "too long between cursor pagination "
                        "requests may receive an invalid cursor "
                        "error response. No value being specified "
                        "may mean that there is no cursor timeout "
                        "or that the cursor timeout is not a "
                        "static duration.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                ],
            },
        ],
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
        "name": "ResourceType",
        "description": "ResourceType",
        "attributes": [
            {
                "name": "id",
                "type": "string",
                "multiValued": False,
                "description": "The resource type's server unique id.\n"
                "\n"
                'This is often the same value as the "name" attribute.',
                "required": False,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
            },
            {
                "name": "name",
                "type": "string",
                "multiValued": False,
                "description": "The resource type name.\n"
                "\n"
                "When applicable, service providers MUST specify the name, "
                "e.g.,\n"
                "'User'.",
                "required": True,
                "caseExact": True,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "server",
            },
            {
                "name": "description",
                "type": "string",
                "multiValued": False,
                "description": "The resource type's human-readable description.\n"
                "\n"
                "When applicable, service providers MUST specify the "
                "description.",
                "required": False,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
            },
            {
                "name": "endpoint",
                "type": "reference",
                "multiValued": False,
                "description": "The resource type's HTTP-addressable endpoint relative to "
                "the Base URL,\n"
                "e.g., '/Users'.",
                "required": True,
                "caseExact": True,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "server",
                "referenceTypes": ["uri"],
            },
            {
                "name": "schema",
                "type": "reference",
                "multiValued": False,
                "description": "The resource type's primary/base schema URI.",
                "required": True,
                "caseExact": True,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "referenceTypes": ["uri"],
            },
            {
                "name": "schemaExtensions",
                "type": "complex",
                "multiValued": True,
                "description": "A list of URIs of the resource type's schema extensions.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "schema",
                        "type": "reference",
                        "multiValued": False,
                        "description": "The URI of a schema extension.",
                        "required": True,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                        "referenceTypes": ["uri"],
                    },
                    {
                        "name": "required",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value that specifies whether "
                        "or not the schema extension is\n"
                        "required for the resource type.\n"
                        "\n"
                        "If true, a resource of this type MUST "
                        "include this schema extension\n"
                        "and also include any attributes declared "
                        "as required in this schema\n"
                        "extension. If false, a resource of this "
                        "type MAY omit this schema\n"
                        "extension.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                ],
            },
        ],
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": "urn:ietf:params:scim:schemas:core:2.0:Schema",
        "name": "Schema",
        "description": "Schema",
        "attributes": [
            {
                "name": "id",
                "type": "string",
                "multiValued": False,
                "description": "The unique URI of the schema.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
            },
            {
                "name": "name",
                "type": "string",
                "multiValued": False,
                "description": "The schema's human-readable name.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
            },
            {
                "name": "description",
                "type": "string",
                "multiValued": False,
                "description": "The schema's human-readable description.",
                "required": False,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
            },
            {
                "name": "attributes",
                "type": "complex",
                "multiValued": True,
                "description": "A complex type that defines service provider attributes and "
                "their\n"
                "qualities via the following set of sub-attributes.",
                "required": True,
                "caseExact": False,
                "mutability": "readOnly",
                "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    {
                        "name": "name",
                        "type": "string",
                        "multiValued": False,
                        "description": "The attribute's name.",
                        "required": True,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "type",
                        "type": "string",
                        "multiValued": False,
                        "description": "The attribute's data type.",
                        "required": True,
                        "canonicalValues": [
                            "string",
                            "complex",
                            "boolean",
                            "decimal",
                            "integer",
                            "dateTime",
                            "reference",
                            "binary",
                        ],
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "multiValued",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value indicating the attribute's plurality.",
                        "required": True,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "description",
                        "type": "string",
                        "multiValued": False,
                        "description": "The attribute's human-readable description.",
                        "required": False,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "required",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value that specifies whether "
                        "or not the attribute is\n"
                        "required.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "canonicalValues",
                        "type": "string",
                        "multiValued": True,
                        "description": "A collection of suggested canonical "
                        "values that MAY be used (e.g.,\n"
                        '"work" and "home").',
                        "required": False,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "caseExact",
                        "type": "boolean",
                        "multiValued": False,
                        "description": "A Boolean value that specifies whether "
                        "or not a string attribute is case\n"
                        "sensitive.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "mutability",
                        "type": "string",
                        "multiValued": False,
                        "description": "A single keyword indicating the "
                        "circumstances under which the value of\n"
                        "the attribute can be (re)defined.",
                        "required": False,
                        "canonicalValues": ["readOnly", "readWrite", "immutable", "writeOnly"],
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "returned",
                        "type": "string",
                        "multiValued": False,
                        "description": "A single keyword that indicates when an "
                        "attribute and associated values\n"
                        "are returned in response to a GET "
                        "request or in response to a PUT, POST, "
                        "or\n"
                        "PATCH request.",
                        "required": False,
                        "canonicalValues": ["always", "never", "default", "request"],
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "uniqueness",
                        "type": "string",
                        "multiValued": False,
                        "description": "A single keyword value that specifies "
                        "how the service provider enforces\n"
                        "uniqueness of attribute values.",
                        "required": False,
                        "canonicalValues": ["none", "server", "global"],
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "referenceTypes",
                        "type": "string",
                        "multiValued": True,
                        "description": "A multi-valued array of JSON strings "
                        "that indicate the SCIM resource\n"
                        "types that may be referenced.",
                        "required": False,
                        "caseExact": True,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                    },
                    {
                        "name": "subAttributes",
                        "type": "complex",
                        "multiValued": True,
                        "description": 'When an attribute is of type "complex", '
                        '"subAttributes" defines a set of\n'
                        "sub-attributes.",
                        "required": False,
                        "caseExact": False,
                        "mutability": "readOnly",
                        "returned": "default",
                        "uniqueness": "none",
                        "subAttributes": [
                            {
                                "name": "name",
                                "type": "string",
                                "multiValued": False,
                                "description": "The attribute's name.",
                                "required": True,
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "type",
                                "type": "string",
                                "multiValued": False,
                                "description": "The attribute's data type.",
                                "required": True,
                                "canonicalValues": [
                                    "string",
                                    "complex",
                                    "boolean",
                                    "decimal",
                                    "integer",
                                    "dateTime",
                                    "reference",
                                    "binary",
                                ],
                                "caseExact": False,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "multiValued",
                                "type": "boolean",
                                "multiValued": False,
                                "description": "A Boolean value "
                                "indicating the "
                                "attribute's "
                                "plurality.",
                                "required": True,
                                "caseExact": False,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "description",
                                "type": "string",
                                "multiValued": False,
                                "description": "The attribute's human-readable description.",
                                "required": False,
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "required",
                                "type": "boolean",
                                "multiValued": False,
                                "description": "A Boolean value that "
                                "specifies whether or "
                                "not the attribute is\n"
                                "required.",
                                "required": False,
                                "caseExact": False,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "canonicalValues",
                                "type": "string",
                                "multiValued": True,
                                "description": "A collection of "
                                "suggested canonical "
                                "values that MAY be "
                                "used (e.g.,\n"
                                '"work" and "home").',
                                "required": False,
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "caseExact",
                                "type": "boolean",
                                "multiValued": False,
                                "description": "A Boolean value that "
                                "specifies whether or "
                                "not a string "
                                "attribute is case\n"
                                "sensitive.",
                                "required": False,
                                "caseExact": False,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "mutability",
                                "type": "string",
                                "multiValued": False,
                                "description": "A single keyword "
                                "indicating the "
                                "circumstances under "
                                "which the value of\n"
                                "the attribute can be "
                                "(re)defined.",
                                "required": False,
                                "canonicalValues": [
                                    "readOnly",
                                    "readWrite",
                                    "immutable",
                                    "writeOnly",
                                ],
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "returned",
                                "type": "string",
                                "multiValued": False,
                                "description": "A single keyword that "
                                "indicates when an "
                                "attribute and "
                                "associated values\n"
                                "are returned in "
                                "response to a GET "
                                "request or in "
                                "response to a PUT, "
                                "POST, or\n"
                                "PATCH request.",
                                "required": False,
                                "canonicalValues": ["always", "never", "default", "request"],
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "uniqueness",
                                "type": "string",
                                "multiValued": False,
                                "description": "A single keyword "
                                "value that specifies "
                                "how the service "
                                "provider enforces\n"
                                "uniqueness of "
                                "attribute values.",
                                "required": False,
                                "canonicalValues": ["none", "server", "global"],
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                            {
                                "name": "referenceTypes",
                                "type": "string",
                                "multiValued": True,
                                "description": "A multi-valued array "
                                "of JSON strings that "
                                "indicate the SCIM "
                                "resource\n"
                                "types that may be "
                                "referenced.",
                                "required": False,
                                "caseExact": True,
                                "mutability": "readOnly",
                                "returned": "default",
                                "uniqueness": "none",
                            },
                        ],
                    },
                ],
            },
        ],
    },
]
