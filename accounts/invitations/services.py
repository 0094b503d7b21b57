"""Every invitation service in one place, for callers that want the services module.

The code lives in ``invites`` (inviting, reminding, revoking), ``claims``
and ``delivery`` (sending each email at most once).
"""

from accounts.invitations.claims import claim_account
from accounts.invitations.delivery import (
    DispatchResult,
    dispatch_due_invitations,
    send_invitation_email,
    send_test_invitation_email,
)
from accounts.invitations.invites import (
    InviteResult,
    expiry_days,
    invite_people,
    invite_person,
    remind_people,
    remind_person,
    reminder_days,
    request_new_link,
    resend_invitation,
    revoke_invitation,
    revoke_open_invitations,
    send_test_invitation,
)

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
    "send_test_invitation",
    "send_test_invitation_email",
]
