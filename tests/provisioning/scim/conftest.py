"""A real scim2-server on loopback for the whole session; each test gets its own tenant."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from accounts.actors import CLI
from provisioning.scim import services
from provisioning.scim.client import Capabilities, Credentials, ScimClient
from provisioning.scim.models import ScimTarget
from tests.provisioning.scim.faultproxy import FaultProxy
from tests.servers import free_port


@pytest.fixture(scope="session")
def scim_server():
    port = free_port()
    exe = Path(sys.executable).with_name("scim2-server")
    proc = subprocess.Popen(
        [str(exe), "--hostname", "127.0.0.1", "--port", str(port), "--dynamic-tenants"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/ping/v2/ServiceProviderConfig", timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def tenant(scim_server) -> str:
    return f"{scim_server}/t{uuid.uuid4().hex[:12]}/v2"


@pytest.fixture(scope="session")
def fault_proxy(scim_server):
    proxy = FaultProxy(scim_server).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(fault_proxy):
    fault_proxy.faults.clear()
    fault_proxy.seen.clear()
    fault_proxy.authorizations.clear()
    fault_proxy.member_limit = None
    fault_proxy.member_limit_status = 413
    return fault_proxy


@pytest.fixture(autouse=True)
def _one_worker(settings):
    # A full sync fans out to other workers through the broker; tests run the
    # push in-process instead.
    settings.SCIM_PUSH_FANOUT = 1


@pytest.fixture
def actor():
    """A System administrator that is not a person (so not itself pushed)."""
    return CLI


@pytest.fixture
def make_target(db):
    def make(url: str, **kwargs) -> ScimTarget:
        kwargs.setdefault("rate_limit", 1000)
        return services.create_target(
            name=kwargs.pop("name", f"T{uuid.uuid4().hex[:6]}"), base_url=url, by=CLI, **kwargs
        )

    return make


def remote_users(url: str) -> list[dict]:
    """Every user the SCIM server holds under ``url`` (read directly, not through Roster)."""
    out, start = [], 1
    while True:
        page = httpx.get(
            f"{url}/Users",
            params={"startIndex": start, "count": 1000, "sortBy": "userName"},
            timeout=30,
        ).json()
        items = page.get("Resources", [])
        out.extend(items)
        start += len(items)
        if not items or start > page["totalResults"]:
            return out


def raw_client(url: str, **caps) -> ScimClient:
    return ScimClient(url, Credentials(), capabilities=Capabilities(**caps) if caps else None)
