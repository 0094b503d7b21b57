"""Admin registrations for provisioning."""

from provisioning.scim_server import admin as _scim_server_admin  # noqa: F401
