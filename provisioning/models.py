"""Imports, identity-provider sources and SCIM targets."""
