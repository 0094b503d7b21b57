"""provisioning's models, gathered for Django: each capability keeps its own.

Code imports a model from its capability (``provisioning.imports.models``,
``provisioning.idp.models``, ``provisioning.scim.models``,
``provisioning.scim_server.models``), never from here, so no capability
depends on another through this module. Early migrations name
``CompactJSONField`` and ``import_upload_path`` here.
"""

from provisioning.fields import CompactJSONField
from provisioning.idp.group_models import GroupSnapshot, SourceGroup
from provisioning.idp.models import DirectorySnapshot, IdentitySource, SourceLink, SyncRun
from provisioning.imports.models import ImportChunk, ImportJob, import_upload_path
from provisioning.scim.group_models import ScimGroupLink
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim_server.models import ScimClient, ScimUserState

__all__ = [
    "CompactJSONField",
    "DirectorySnapshot",
    "GroupSnapshot",
    "IdentitySource",
    "ImportChunk",
    "ImportJob",
    "ScimClient",
    "ScimGroupLink",
    "ScimLink",
    "ScimRun",
    "ScimTarget",
    "ScimUserState",
    "SourceGroup",
    "SourceLink",
    "SyncRun",
    "import_upload_path",
]
