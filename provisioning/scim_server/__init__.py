"""Roster's own SCIM 2.0 server: identity providers (Okta, Entra ID) create,
update and deactivate people through it. See docs/scim-server.md."""
