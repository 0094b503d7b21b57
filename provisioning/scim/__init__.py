"""Outbound SCIM 2.0 provisioning: push people to downstream SCIM services."""
