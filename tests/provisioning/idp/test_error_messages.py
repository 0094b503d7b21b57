"""Identity-provider failures reach the administrator as what to fix, not library text."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from provisioning.idp import entra, google
from provisioning.idp.errors import DirectoryError

# Text from cryptography, requests, httplib2 or ssl that must never be shown.
RAW = ("ASN.1", "PEM", "cryptography", "Errno", "SSL:", "CERTIFICATE_VERIFY_FAILED",
       "HTTPSConnectionPool", "Max retries", "MalformedFraming", "InvalidData")  # fmt: skip


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def failure(call, config) -> DirectoryError:
    with pytest.raises(DirectoryError) as caught:
        call(config)
    for raw in RAW:
        assert raw not in caught.value.message
    return caught.value


@pytest.mark.parametrize(
    "damage",
    [
        lambda key: key[: len(key) // 3],  # cut short when copied
        lambda key: key[:120] + key[-60:],  # header and footer kept, body short
        lambda key: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
    ],
)
def test_a_malformed_google_key_says_to_create_a_new_one(google_config, damage):
    info = dict(google_config.service_account_info)
    info["private_key"] = damage(info["private_key"])
    config = dataclasses.replace(google_config, service_account_info=info)

    error = failure(google.test_connection, config)

    assert error.reason == "credentials"
    assert error.message == (
        "The private key in the service-account JSON is damaged or incomplete (often cut "
        "short when copied). Create a new JSON key for the service account in the Google "
        "Cloud console (IAM & Admin → Service accounts → Keys) and paste it here."
    )


def test_a_google_key_missing_fields_names_them(google_config):
    info = {"type": "service_account", "private_key": "x"}
    config = dataclasses.replace(google_config, service_account_info=info)

    error = failure(google.test_connection, config)

    assert error.message.startswith(
        "The service-account JSON key lacks client_email, token_uri: paste the whole file"
    )


def test_google_refusing_the_connection_says_what_to_check(google_config):
    config = dataclasses.replace(google_config, api_endpoint=f"http://127.0.0.1:{refused_port()}/")
    error = failure(google.test_connection, config)
    assert error.reason == "unreachable"
    assert error.message == (
        "Google refused the connection: check the address and port, and that the server is running."
    )


def test_entra_with_an_untrusted_certificate_says_to_give_the_ca_bundle(entra_config):
    config = dataclasses.replace(entra_config, ca_bundle="")
    error = failure(entra.test_connection, config)
    assert error.reason == "unreachable"
    assert error.message == (
        "Microsoft Entra ID presented a TLS certificate Roster does not trust: check the "
        "address, or give the CA bundle that signed the certificate."
    )


def test_entra_refusing_the_connection_says_what_to_check(entra_config):
    config = dataclasses.replace(entra_config, authority_host=f"https://127.0.0.1:{refused_port()}")
    error = failure(entra.test_connection, config)
    assert error.message.startswith("Microsoft Entra ID refused the connection")


def test_entra_wrong_secret_says_which_value_to_enter(entra_config):
    config = dataclasses.replace(entra_config, client_secret="wrong")
    error = failure(entra.test_connection, config)
    assert error.message == (
        "The client secret is wrong: enter the secret's Value (not its ID) from "
        "Certificates & secrets (Microsoft's code AADSTS7000215)."
    )


def test_entra_unknown_tenant_says_where_to_find_the_tenant_id(entra_config):
    config = dataclasses.replace(entra_config, tenant_id="no-such-tenant")
    error = failure(entra.test_connection, config)
    assert error.reason == "credentials"
    assert "no-such-tenant" in error.message or "tenant ID" in error.message
