"""Where people come from: each source yields ``provisioning.records.ExternalRecord``.

Sources are edge code: they read files or call identity providers and never
touch the database; ``provisioning.reconcile`` compares their records with
what Roster holds.
"""
