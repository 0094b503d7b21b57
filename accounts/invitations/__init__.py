"""Invitations and account claiming: services, selectors and their errors.

Import from here: ``from accounts.invitations import invite_person``.
"""

from accounts.invitations.claims import claim_account
from accounts.invitations.delivery import (
    send_invitation_email,
    send_invitation_emails,
    send_test_invitation_email,
)
from accounts.invitations.dispatch import DispatchResult, dispatch_due_invitations
from accounts.invitations.exceptions import (
    AlreadyClaimed,
    InvalidLink,
    InvitationError,
    LinkExpired,
    LinkRevoked,
    RateLimited,
)
from accounts.invitations.invites import (
    InviteResult,
    invite_people,
    invite_person,
    request_new_link,
    resend_invitation,
    revoke_invitation,
    revoke_open_invitations,
    send_test_invitation,
)
from accounts.invitations.reminders import remind_people, remind_person
from accounts.invitations.selectors import (
    InvitationSummary,
    attach_invitation_columns,
    count_awaiting_invitation,
    count_remindable,
    filter_delivery_failed,
    filter_invited_not_claimed_for,
    find_latest_invitation,
    get_claimable_invitation,
    get_invitation_summary,
    list_deliveries,
    list_invitations,
)
from accounts.invitations.start_dates import invite_on_start_dates, start_date_send_time

resend = resend_invitation

__all__ = [
    "AlreadyClaimed",
    "DispatchResult",
    "InvalidLink",
    "InvitationError",
    "InvitationSummary",
    "InviteResult",
    "LinkExpired",
    "LinkRevoked",
    "RateLimited",
    "attach_invitation_columns",
    "claim_account",
    "count_awaiting_invitation",
    "count_remindable",
    "dispatch_due_invitations",
    "filter_delivery_failed",
    "filter_invited_not_claimed_for",
    "find_latest_invitation",
    "get_claimable_invitation",
    "get_invitation_summary",
    "invite_on_start_dates",
    "invite_people",
    "invite_person",
    "list_deliveries",
    "list_invitations",
    "remind_people",
    "remind_person",
    "request_new_link",
    "resend",
    "resend_invitation",
    "revoke_invitation",
    "revoke_open_invitations",
    "send_invitation_email",
    "send_invitation_emails",
    "send_test_invitation",
    "send_test_invitation_email",
    "start_date_send_time",
]
