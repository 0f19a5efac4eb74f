"""Error codes of the domains as plain words for volunteers (English msgids, translated in the .po)."""

from __future__ import annotations

from servicebank.errors import DomainError

# Only what a person meets on the pages; any other code falls back to the domain's own message.
MESSAGES = {
    "qr_token_expired": "This code has expired. Please scan the code on the screen again.",
    "qr_token_invalid": "This is not a check-in code of ours. Please scan the code shown at the venue.",
    "qr_token_wrong_purpose": "This is the other code (check-in / check-out). Please scan the right one.",
    "checkin_not_open": "Check-in has not opened yet. Please try again a little before the start.",
    "activity_ended": "This activity has ended. Please ask the organiser to record your time.",
    "not_checked_in": "You have not checked in to this activity, so you cannot check out.",
    "not_signed_up": "You have not signed up for this activity. Please ask the organiser.",
    "activity_not_found": "This activity no longer exists.",
    "activity_cancelled": "This activity has been cancelled.",
    "volunteer_required": "This account is not a volunteer account.",
    "volunteer_suspended": "Your volunteer account is paused. Please contact your community.",
    "invalid_credentials": "The phone/username or password is wrong.",
    "login_rate_limited": "Too many wrong tries. Please wait a few minutes and try again.",
    "signup_closed": "Sign-up for this activity is closed.",
    "already_signed_up": "You have already signed up.",
    "activity_full": "This activity is full.",
    "csrf_failed": "This form has expired. Please go back, reload the page and try again.",
    "not_found": "We could not find this page.",
    "organiser_required": "Only the community's organisers can do this.",
    "staff_required": "Only organisers and team leaders can do this.",
    "community_not_found": "We could not find this page.",
    "insufficient_points": "Not enough points for these items.",
    "insufficient_balance": "Not enough points for these items.",
    "out_of_stock": "This item is out of stock.",
    "redemption_code_expired": "This code has expired. Please ask the volunteer to open a fresh code.",
    "redemption_code_invalid": "This is not a valid redemption code.",
    "redemption_code_used": "This code has already been used. Please ask the volunteer to open a fresh code.",
    "store_closed": "The store is closed now.",
    "attendance_still_open": "The volunteer has not checked out yet. Adjust the times to close the record.",
    "times_in_future": "Times cannot lie in the future.",
    "invalid_times": "The check-out time must be after the check-in time.",
    "times_outside_activity": "These times are far from the activity's own times; please check the date.",
    "invalid_input": "Some of the information is not valid. Please check and try again.",
    "activity_not_draft": "Only a draft can be published.",
    "approval_required": "This activity needs the street office's approval first.",
}


def explain(error: DomainError, gettext) -> str:  # noqa: ANN001
    """The message to show for a refused action, in the page's language."""
    message = MESSAGES.get(error.code)
    if message is not None:
        return gettext(message)
    return gettext("It did not work: %(reason)s", reason=error.message)
