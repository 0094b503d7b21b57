"""scim2-tester over real HTTP against a live Roster, with its default generators.

Each run issues a token, starts nothing but Django's live server (a real
socket, the test database) and runs every check scim2-tester has, in both
DELETE modes. bench/scim_conformance.py runs the same against any server.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from accounts.actors import CLI
from provisioning.scim_server import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

_BENCH = Path(__file__).resolve().parents[3] / "bench" / "scim_conformance.py"


def _runner():
    spec = importlib.util.spec_from_file_location("scim_conformance", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scim_conformance", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["deactivate", "delete"])
def test_scim2_tester_over_http_finds_no_error(settings, live_server, mode):
    settings.ROSTER_SCIM_DELETE_MODE = mode
    token = services.issue_client("Tester", by=CLI).token

    outcome = _runner().run(f"{live_server.url}/scim/v2", token)

    print(outcome.summary)
    assert outcome.failures == []
    assert outcome.counts.get("SUCCESS", 0) >= 60
