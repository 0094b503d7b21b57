"""Groups of people: static or rule-based, their services, selectors and admin.

``services`` (every write, audited and published), ``selectors`` (reads),
``rules`` (membership rules as one query), ``signals`` (``groups_changed``),
``sourced`` (members of many groups set at once, for identity providers),
``receivers`` (recomputing rule-based groups when people change), ``tasks``
and ``admin``. The models live in ``accounts.models.groups``.
"""
