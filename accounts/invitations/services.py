"""Every invitation service in one place, for callers that want the services module.

The code lives in ``invites`` (inviting, new links, revoking), ``reminders``,
``claims``, ``dispatch`` (queueing what is due) and ``delivery`` (sending
each email at most once).
"""

from accounts.invitations.claims import claim_account
from accounts.invitations.delivery import (
    send_invitation_email,
    send_invitation_emails,
    send_test_invitation_email,
)
from accounts.invitations.dispatch import DispatchResult, dispatch_due_invitations
from accounts.invitations.invites import (
    InviteResult,
    expiry_days,
    invite_people,
    invite_person,
    reminder_days,
    request_new_link,
    resend_invitation,
    revoke_invitation,
    revoke_open_invitations,
    send_test_invitation,
)
from accounts.invitations.reminders import remind_people, remind_person

__all__ = [
    "DispatchResult",
    "InviteResult",
    "claim_account",
    "dispatch_due_invitations",
    "expiry_days",
    "invite_people",
    "invite_person",
    "remind_people",
    "remind_person",
    "reminder_days",
    "request_new_link",
    "resend_invitation",
    "revoke_invitation",
    "revoke_open_invitations",
    "send_invitation_email",
    "send_invitation_emails",
    "send_test_invitation",
    "send_test_invitation_email",
]
