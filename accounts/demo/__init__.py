"""Demo data: a realistic organisation to try Roster with, written in bulk.

``build_organisation`` (``organisation``) plans the people in memory
(departments, locations, job titles, a management tree several levels deep,
a mix of statuses and sources, phone numbers valid for the configured
region, from ``vocabulary``); ``seed_demo_people`` (``seed``) writes them
with bulk inserts and one audit row each, in one transaction.
"""

from accounts.demo.organisation import (
    DEMO_DOMAIN,
    DemoPerson,
    build_organisation,
    level_batches,
    phone_pool,
)
from accounts.demo.seed import DEMO_DATA, SeedResult, count_demo_people, seed_demo_people

__all__ = [
    "DEMO_DATA",
    "DEMO_DOMAIN",
    "DemoPerson",
    "SeedResult",
    "build_organisation",
    "count_demo_people",
    "level_batches",
    "phone_pool",
    "seed_demo_people",
]
