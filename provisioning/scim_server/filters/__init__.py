"""SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2): parsed by a
small recursive-descent parser, then compiled to a Django ``Q`` over people or
evaluated against one multi-valued element for PATCH value paths.

Modules: ``paths`` (resolve an attribute path), ``syntax`` (the syntax tree
and the parser of filters and PATCH paths), ``query`` (compile to ``Q``) and
``matching`` (evaluate in memory).
"""

from provisioning.scim_server.filters.matching import matches_element
from provisioning.scim_server.filters.paths import AttrPath, resolve_path
from provisioning.scim_server.filters.query import FALSE, TRUE, to_q
from provisioning.scim_server.filters.syntax import (
    COMPARE_OPS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    Compare,
    Node,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    parse_filter,
    parse_patch_path,
)

__all__ = [
    "COMPARE_OPS",
    "FALSE",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "TRUE",
    "And",
    "AttrPath",
    "Compare",
    "Node",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "ValuePath",
    "matches_element",
    "parse_filter",
    "parse_patch_path",
    "resolve_path",
    "to_q",
]
