"""Error codes of the domains as plain words for volunteers (English msgids, translated in the .po)."""

from __future__ import annotations

from servicebank.errors import DomainError
from servicebank.web.i18n import N_

# Only what a person meets on the pages; any other code falls back to the domain's own message.
MESSAGES = {
    "qr_token_expired": "This code has expired. Please scan the code on the screen again.",
    "qr_token_invalid": "This is not a check-in code of ours. Please scan the code shown at the venue.",
    "qr_token_wrong_purpose": "This is the other code (check-in / check-out). Please scan the right one.",
    "checkin_not_open": "Check-in has not opened yet. Please try again a little before the start.",
    "activity_ended": "This activity has ended. Please ask the organiser to record your time.",
    "not_checked_in": "You have not checked in to this activity, so you cannot check out.",
    "not_signed_up": "You have not signed up for this activity. Please ask the organiser.",
    "outside_geofence": "You are too far from the venue to check in. Please check in when you are there.",
    "location_required": "This activity checks that you are at the venue. Please allow this page to use your "
                         "position, then scan the code on the screen again.",
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
    "redemption_code_invalid": "This code is not valid: it may be mistyped, expired or already used. Please ask the volunteer to read it again or to open a fresh code.",
    "too_many_wrong_codes": "Too many wrong codes in a short time. Please wait a few minutes, then ask the volunteer to read the code again.",
    "redemption_code_used": "This code has already been used. Please ask the volunteer to open a fresh code.",
    "store_closed": "The store is closed now.",
    "attendance_still_open": "The volunteer has not checked out yet. Adjust the times to close the record.",
    "times_in_future": "Times cannot lie in the future.",
    "invalid_times": "The check-out time must be after the check-in time.",
    "times_outside_activity": "These times are far from the activity's own times; please check the date.",
    "invalid_input": "Some of the information is not valid. Please check and try again.",
    "activity_not_draft": "Only a draft can be published.",
    "approval_required": "This activity needs the street office's approval first.",
    # Organiser pages: activities and series.
    "invalid_time": "Please give the date and time, e.g. 2026-11-23 09:30.",
    "invalid_time_range": "The end must be after the start (and an activity lasts at most 14 days).",
    "invalid_capacity": "Places must be at least 1, or empty for no limit.",
    "capacity_below_signups": "More volunteers are already confirmed than this number of places.",
    "invalid_coordinates": "Give both latitude and longitude (or neither), within range.",
    "invalid_hours_rule": "The hours rule is not valid. Please check the numbers.",
    "team_not_in_community": "One of the chosen teams is not a team of this community.",
    "unknown_kind": "Please choose a kind of activity.",
    "activity_not_editable": "This activity has ended or was cancelled, so it can no longer be changed.",
    "activity_under_review": "The proposal is being reviewed; wait for the decision before editing.",
    "activity_not_cancellable": "This activity can no longer be cancelled.",
    "invalid_rrule": "This repeat schedule is not valid. Please choose the days again.",
    "rrule_too_frequent": "Activities repeat at most once a day.",
    "approval_kind_not_recurring": "Activities of this kind need an approval one by one and cannot repeat.",
    "series_cancelled": "This series was cancelled.",
    "series_not_found": "We could not find this page.",
    # Volunteers and teams.
    "volunteer_not_found": "We could not find this volunteer.",
    "team_not_found": "We could not find this team.",
    "grid_not_found": "Please choose a grid of this community.",
    "missing_name": "The name is missing.",
    "invalid_name": "The name is too long.",
    "missing_phone": "The phone number is missing.",
    "invalid_phone": "This is not a phone number: use an 11-digit mobile number or a landline with its area code.",
    "duplicate_phone": "A volunteer with this phone number is already registered in this community.",
    "invalid_id_number": "The ID number is not valid. Please check it digit by digit.",
    "invalid_id_type": "Please choose a known kind of ID document.",
    "duplicate_id_number": "A volunteer with this ID number is already registered in this community.",
    "id_number_required": "Give the ID number again when changing its type.",
    "invalid_volunteer_number": "A volunteer number is 2-32 letters, digits, '-' or '_'.",
    "duplicate_volunteer_number": "This volunteer number is already in use.",
    "invalid_gender": "Gender must be 男 or 女.",
    "invalid_birth_year": "The birth year is not a year between 1900 and this year.",
    "invalid_skill_tag": "A skill is at most 16 characters.",
    "too_many_skill_tags": "At most 20 skills per volunteer.",
    "invalid_party_class": "The category is at most 32 characters.",
    "invalid_political_status": "The political status is at most 32 characters.",
    "invalid_flag": "Use 是 or 否.",
    "weak_password": "The password is too weak: use at least 8 characters with letters and digits.",
    "phone_has_account": "This phone number already has a login.",
    "invalid_status_change": "This change does not fit the volunteer's current status.",
    "reason_required": "Please give a reason; the volunteer will be told.",
    "duplicate_team_name": "The community already has a team with this name.",
    "invalid_team_kind": "Give the team a kind (党员, 巾帼, 文艺 ... or your own, up to 32 characters).",
    "volunteer_ids_required": "Choose at least one volunteer.",
    "volunteer_has_no_account": "This volunteer has no login yet; give them one before making them a leader.",
    "already_leader": "This volunteer already leads the team.",
    "member_not_found": "This volunteer is not a member of the team.",
    "leader_not_found": "This person does not lead the team.",
    # Roster import (also the per-row codes of the error report).
    "file_required": "Please choose a file to upload.",
    "empty_file": "The file is empty.",
    "upload_too_large": "The file is too large. Split it into smaller files.",
    "unsupported_file": "Only .xlsx workbooks and .csv files can be imported (save old .xls files as .xlsx).",
    "unreadable_spreadsheet": "The file cannot be read. Open it in Excel or WPS and save it again as .xlsx.",
    "missing_columns": "The file needs at least the columns 姓名 and 手机号. Start from the template.",
    "too_many_rows": "The file has too many rows; split it into smaller files.",
    "import_too_large": "The file is too large to read safely (too many rows or columns, or it unpacks to too much "
                        "data). Split it into smaller files, or open it in Excel or WPS and save it again as .xlsx.",
    "unknown_grid": "The community has no grid of this name.",
    "unknown_team": "The community has no team of this name; create the team first.",
    # Attendance and cards.
    "attendance_no_show": "A no-show has no times to approve. Adjust the times if the volunteer did serve.",
    "activity_not_started": "The activity has not started yet.",
    "volunteer_checked_in": "This volunteer checked in; decline the record instead.",
    "attendance_exists": "This volunteer already has a record for this activity; adjust it instead.",
    "card_invalid": "This is not a volunteer card of ours.",
    "card_revoked": "This card was replaced by a newer one. Ask the volunteer for the new card.",
    "card_other_community": "This volunteer belongs to another community.",
    "volunteer_other_community": "This volunteer belongs to another community.",
    "volunteer_not_active": "This volunteer is not active.",
    "not_your_volunteer": "Only the leaders of this volunteer's teams and the community's organisers can do this.",
    # Card PINs: a printed card pays at a store only with the volunteer's PIN.
    "card_pin_required": "A printed card pays only with the volunteer's card PIN. Ask them to type it, or to show "
                         "the code on their phone.",
    "card_pin_wrong": "Wrong card PIN. After 5 wrong PINs the card stops paying until the PIN is set again.",
    "card_pin_locked": "This card is locked after too many wrong PINs. The volunteer sets a new PIN on their page, "
                       "or an organiser resets it.",
    "card_pin_not_set": "This volunteer has no card PIN yet, so the card cannot pay. They can set one on their page, "
                        "or show the code on their phone.",
    "invalid_card_pin": "The card PIN is 6 digits.",
    "weak_card_pin": "Choose a PIN that is harder to guess (not all the same digit, not 123456).",
    "wrong_password": "The password is wrong.",
    "walk_in_not_allowed": "This volunteer has not signed up, and this activity takes no walk-ins.",
    "activity_not_published": "This activity is not published yet.",
    # Reports, certificates, honours, audit.
    "invalid_period": "Please choose a month, a quarter or a year that has begun.",
    "invalid_scope": "Please choose a community or a street.",
    "scope_not_found": "We could not find this page.",
    "no_service_in_period": "This volunteer has no approved service in that period.",
    "invalid_person_in_charge": "The name of the person in charge is not valid.",
    "invalid_reason": "Please give a reason (2 to 500 characters).",
    "certificate_closed": "This certificate is already revoked or rejected.",
    "certificate_not_requested": "This certificate is not a waiting request.",
    "certificate_not_found": "We could not find this certificate.",
    "objection_resolved": "This objection was already resolved.",
    "objection_not_found": "We could not find this objection.",
    "invalid_resolution": "Choose whether the objection is upheld or dismissed.",
    "invalid_resolution_note": "Please explain the resolution (2 to 1000 characters).",
    "honour_list_not_found": "We could not find this page.",
    "honour_month_not_over": "This month has not ended yet. Its honour list can be made from the 1st of next month.",
    "honour_list_empty": "This list has nobody on it, so there is nothing to publish.",
    "honour_list_published": "This list is already published.",
    "honour_list_final": "This list is final: its notice period is over and no objection to it was upheld.",
    "honour_list_draft": "This list is still a draft; make the draft again instead.",
    "invalid_month": "Please choose a month.",
    # Family links (我的家庭成员) and gifts of points.
    "family_link_required": "You can give points only to a family member whose link is confirmed. Ask your family "
                            "member to confirm the link on their page, or ask your community organiser.",
    "family_member_not_found": "No volunteer matches this number and phone. Check the volunteer number on their card "
                               "or page and the last 4 digits of their phone.",
    "login_claim_not_found": "We could not find this login claim.",
    "login_claim_decided": "This login claim has already been decided.",
    "login_claim_outdated": "This volunteer or this phone already has a login; decline the claim.",
    "volunteer_not_approved": "You can ask for family links once an organiser of your community has approved your "
                              "registration.",
    "family_link_exists": "You are already linked, or a request between you is waiting: see the list above.",
    "family_link_self": "This is your own volunteer number.",
    "not_your_family_link": "Your family member answers this request, not you.",
    "family_link_not_found": "We could not find this family link.",
    "family_link_not_waiting": "This link is no longer waiting for an answer.",
    "family_link_ended": "This link has already ended.",
    "invalid_relation": "Please choose how you are related.",
    "invalid_phone_last4": "Give the last 4 digits of your family member's phone.",
    "relation_mismatch": "Your confirmed family link says a different relation.",
    "team_leader_scope": "As a team leader you can only post activities for the teams you lead: tick at least one of them under “Who may sign up”.",
    "activity_started": "This activity has already started or ended. Please tell the organiser in person.",
    "activity_not_open": "This activity is not open for sign-up yet.",
    # The till, refunds and stock (store clerks).
    "monthly_limit_exceeded": "This volunteer has reached the monthly limit for one of these items.",
    "item_unavailable": "One of these items has been withdrawn from the catalogue.",
    "item_not_found": "One of these items is not in this store's catalogue.",
    "service_hours_too_few": "This volunteer does not have enough service hours to redeem here yet.",
    "volunteer_not_in_community": "This volunteer belongs to another community and cannot redeem here.",
    "not_store_clerk": "You are not a clerk of this store.",
    "store_not_found": "We could not find this store.",
    "empty_cart": "Pick at least one item.",
    "invalid_quantity": "Quantities are whole numbers from 1 to 99.",
    "too_many_lines": "Too many different items on one receipt; split it into two.",
    "redemption_not_found": "We could not find this receipt.",
    "already_refunded": "This receipt has already been refunded.",
    "refund_period_over": "This receipt is older than the store's refund period and cannot be refunded.",
    "invalid_stock": "Stock is a whole number, 0 or more.",
    "invalid_restock": "Stock cannot go below zero.",
    "stock_not_counted": "This item has no counted stock.",
    "community_staff_only": "This part is for community staff (organisers and team leaders). Your own pages are "
                            "linked below.",
    "internal_error": "Something went wrong on our side. It has been noted; please try again in a moment.",
    "database_unavailable": "The system is busy or restarting. Please try again in a few seconds; nothing was changed.",
    # Objections to a public honour list (no login).
    "objection_rate_limited": "Too many objections from this network within an hour. Please try again later.",
    "notice_period_over": "The notice period of this list has ended; objections are closed.",
    "invalid_objection_name": "Please give your name (1 to 64 characters).",
    "invalid_objection_text": "Please describe the objection in 5 to 2000 characters.",
}

# Why the till shows an item as not redeemable for the volunteer at the counter (stores/till.py scan reasons).
ITEM_REASONS = {
    "out_of_stock": N_("Out of stock"),
    "monthly_limit_exceeded": N_("Monthly limit for this item reached"),
    "insufficient_balance": N_("Not enough points"),
    "service_hours_too_few": N_("Needs more service hours"),
    "item_unavailable": N_("Withdrawn from the catalogue"),
}


def item_reason(code: str | None, gettext) -> str:  # noqa: ANN001
    """Why one item cannot be redeemed now, in the page's language."""
    return gettext(ITEM_REASONS.get(code or "", N_("Not redeemable now")))


def explain(error: DomainError, gettext) -> str:  # noqa: ANN001
    """The message to show for a refused action, in the page's language."""
    wait = error.extra.get("retry_after") if error.code == "login_rate_limited" else None
    if isinstance(wait, int):
        # The login waits grow from a second to 15 minutes: say how long this one is.
        when = gettext("%(n)s seconds", n=wait) if wait < 60 else gettext("%(n)s minutes", n=-(-wait // 60))
        return gettext("Too many wrong tries. Please wait %(wait)s and try again.", wait=when)
    message = MESSAGES.get(error.code)
    if message is not None:
        return gettext(message)
    # Errors raised by the web pages themselves carry a message from our own catalogue.
    translated = gettext(error.message)
    if translated != error.message:
        return translated
    return gettext("It did not work: %(reason)s", reason=error.message)
