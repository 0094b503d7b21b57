import pytest

from tests.provisioning.idp.conftest import (  # noqa: F401
    entra_config,
    fake_google,
    fake_graph,
    google_config,
)
from tests.provisioning.idp.directory import Directory


@pytest.fixture
def directory() -> Directory:
    # Groups need few people; 40 keeps each sync quick.
    return Directory.generate(40)
