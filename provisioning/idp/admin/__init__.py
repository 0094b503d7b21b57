"""The admin for identity providers: ``sources`` (the sources, their settings and
buttons) and ``runs`` (sync runs and the decisions on them). Importing this
package registers both."""

from provisioning.idp.admin.runs import SyncRunAdmin
from provisioning.idp.admin.sources import IdentitySourceAdmin

__all__ = ["IdentitySourceAdmin", "SyncRunAdmin"]
