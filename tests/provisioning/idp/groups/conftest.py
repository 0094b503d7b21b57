from tests.provisioning.idp.conftest import (  # noqa: F401
    directory,
    entra_config,
    fake_google,
    fake_graph,
    google_config,
)
