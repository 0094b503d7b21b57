"""The SCIM admin: targets (``targets``, with their ``forms`` and ``buttons``), runs and links.

Importing this package registers the admins; ``tables`` draws their HTML
tables.
"""

from provisioning.scim.admin.forms import ScimTargetForm
from provisioning.scim.admin.history import ScimLinkAdmin, ScimRunAdmin
from provisioning.scim.admin.targets import ScimTargetAdmin

__all__ = ["ScimLinkAdmin", "ScimRunAdmin", "ScimTargetAdmin", "ScimTargetForm"]
