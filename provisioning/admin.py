"""Admin registrations for provisioning."""

from provisioning import import_admin as _import_admin  # noqa: F401
from provisioning.scim import admin as _scim_admin  # noqa: F401
from provisioning.scim import person_section as _scim_person_section  # noqa: F401
from provisioning.scim_server import admin as _scim_server_admin  # noqa: F401
from provisioning.sources import idp_admin as _idp_admin  # noqa: F401
