"""Admin registrations for provisioning."""

from provisioning.idp import admin as _idp_admin  # noqa: F401
from provisioning.idp import person_section as _idp_person_section  # noqa: F401
from provisioning.imports import admin as _import_admin  # noqa: F401
from provisioning.scim import admin as _scim_admin  # noqa: F401
from provisioning.scim import person_section as _scim_person_section  # noqa: F401
from provisioning.scim_server import admin as _scim_server_admin  # noqa: F401
