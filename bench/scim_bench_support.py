"""What the SCIM benchmarks share: a free port, a fresh database, a scim2-server process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` beside ``admin_url``'s; return its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def start_scim_server(port: int) -> subprocess.Popen:
    """Start scim2-server with a fresh store per tenant and wait until it answers."""
    import httpx

    exe = Path(sys.executable).with_name("scim2-server")
    proc = subprocess.Popen(
        [str(exe), "--hostname", "127.0.0.1", "--port", str(port), "--dynamic-tenants"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/ping/v2/ServiceProviderConfig", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("scim2-server did not start")
