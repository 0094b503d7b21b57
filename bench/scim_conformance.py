"""Run scim2-tester against a SCIM server over real HTTP, with its default generators.

    python bench/scim_conformance.py --url http://127.0.0.1:8000/scim/v2 \\
        --token rsc_… [--exclude-tags crud:delete] [--verbose]

Prints one summary line (``scim2-tester: N checks, S succeeded, E errors,
K skipped``) and, with --verbose or when something failed, one line per
error. Exits 1 when any check errored. The test suite calls ``run`` against
a live server (tests/provisioning/scim_server/test_conformance_http.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What scim2-tester found: counts per status and the failures, as text."""

    counts: dict[str, int]
    failures: list[str]

    @property
    def summary(self) -> str:
        total = sum(self.counts.values())
        return (
            f"scim2-tester: {total} checks, {self.counts.get('SUCCESS', 0)} succeeded, "
            f"{self.counts.get('ERROR', 0) + self.counts.get('CRITICAL', 0)} errors, "
            f"{self.counts.get('SKIPPED', 0)} skipped"
        )


def run(url: str, token: str, *, exclude_tags: set[str] | None = None) -> Outcome:
    """Discover the server at ``url`` and run every scim2-tester check over HTTP."""
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    http = httpx2.Client(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    with http:
        client = SyncSCIMClient(http)
        client.discover()
        results = check_server(client, exclude_tags=exclude_tags or None)
    counts = Counter(r.status.name for r in results)
    failures = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL)
    ]
    return Outcome(dict(counts), failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--exclude-tags", default="")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    tags = {t for t in args.exclude_tags.split(",") if t}
    outcome = run(args.url, args.token, exclude_tags=tags)
    print(outcome.summary)
    if args.verbose or outcome.failures:
        for failure in outcome.failures:
            print("  " + failure)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
