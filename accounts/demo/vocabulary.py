"""What the demo organisation is made of: names, departments and their titles,
locations, how statuses and sources are mixed (each with its weight), and how
many reports a manager has."""

from __future__ import annotations

from accounts.models import Person


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Alice Amara Amir Ana Andrew Anika Arjun Ava Beatriz Ben Bianca Carlos "
    "Charlotte Chen Chloe Daniel David Deepa Diego Dmitri Elena Eliza Emeka Emma Ethan "
    "Fatima Felix Freya Gabriel Grace Hannah Hiro Ibrahim Imogen Isaac Isla Jack Jamal James "
    "Jin Joanna Jonas Julia Kai Karim Kate Kofi Laila Leo Lena Liam Lucia Mai Maria Mateo "
    "Maya Mei Mohammed Nadia Naomi Nia Noah Olga Oliver Omar Oscar Priya Rafael Rania Ravi "
    "Rosa Ruth Sakura Samuel Sara Sean Sofia Sven Tariq Thomas Tomas Uma Victor Wei Will "
    "Yara Yusuf Zainab Zoe"
)
LAST_NAMES = _words(
    "Abbott Adeyemi Ahmed Andersen Bauer Becker Bianchi Brown Campbell Chen Clarke Costa "
    "Davies Dubois Evans Fernandes Fischer Garcia Gonzalez Green Hall Hansen Harris Hughes "
    "Ito Jackson Jensen Johansson Jones Kaur Kelly Khan Kim Kowalski Larsen Lee Lewis Lopez "
    "Martin Martinez Mensah Meyer Miller Moore Morgan Murphy Nakamura Nguyen Novak Okafor "
    "Olsen Patel Perez Petrov Phillips Roberts Robinson Rossi Santos Schmidt Silva Singh "
    "Smith Sousa Suzuki Taylor Thomas Thompson Turner Walker Wang Watson White Williams "
    "Wilson Wood Wright Yamamoto Young Zhang"
)

# Department: (weight, the vice president's title, manager title, individual titles).
DEPARTMENTS: dict[str, tuple[int, str, str, tuple[str, ...]]] = {
    "Engineering": (
        30,
        "VP of Engineering",
        "Engineering Manager",
        (
            "Software Engineer",
            "Senior Software Engineer",
            "Site Reliability Engineer",
            "QA Engineer",
            "Data Engineer",
            "Staff Engineer",
        ),
    ),
    "Product": (
        6,
        "VP of Product",
        "Group Product Manager",
        ("Product Manager", "Senior Product Manager", "Product Analyst"),
    ),
    "Design": (
        4,
        "VP of Design",
        "Design Manager",
        ("Product Designer", "UX Researcher", "Content Designer"),
    ),
    "Sales": (
        18,
        "VP of Sales",
        "Sales Manager",
        (
            "Account Executive",
            "Sales Development Representative",
            "Solutions Engineer",
            "Enterprise Account Executive",
        ),
    ),
    "Marketing": (
        7,
        "VP of Marketing",
        "Marketing Manager",
        ("Marketing Specialist", "Content Marketer", "Growth Analyst", "Events Coordinator"),
    ),
    "Customer Success": (
        14,
        "VP of Customer Success",
        "Support Manager",
        ("Customer Success Manager", "Support Engineer", "Implementation Specialist"),
    ),
    "Finance": (
        6,
        "Chief Financial Officer",
        "Finance Manager",
        ("Accountant", "Financial Analyst", "Payroll Specialist"),
    ),
    "People": (
        5,
        "Chief People Officer",
        "People Partner Lead",
        ("People Partner", "Recruiter", "Learning Specialist"),
    ),
    "Legal": (
        3,
        "General Counsel",
        "Legal Manager",
        ("Commercial Counsel", "Paralegal", "Privacy Counsel"),
    ),
    "Operations": (
        7,
        "VP of Operations",
        "Operations Manager",
        ("Operations Analyst", "Office Manager", "IT Support Specialist", "Procurement Specialist"),
    ),
}
LOCATIONS = (
    ("London", 30),
    ("Manchester", 12),
    ("Edinburgh", 8),
    ("Bristol", 8),
    ("Dublin", 8),
    ("Berlin", 10),
    ("Paris", 8),
    ("Remote", 16),
)
STATUSES = (
    (Person.Status.ACTIVE, 72),
    (Person.Status.INVITED, 10),
    (Person.Status.STAGED, 10),
    (Person.Status.DEACTIVATED, 8),
)
SOURCES = (
    (Person.Source.GOOGLE, 40),
    (Person.Source.SPREADSHEET, 30),
    (Person.Source.ENTRA, 15),
    (Person.Source.MANUAL, 15),
)
MIN_SPAN, MAX_SPAN = 3, 8
