"""What activities asks other domains while signing someone up (kernel/hooks.py): answered by records/gates.py."""

from __future__ import annotations

from servicebank.kernel.hooks import Hook

# (session, *, activity, volunteer, now) -> None: raise a DomainError to refuse the sign-up (e.g. a qualification
# the activity's kind requires).
signup_refusals: Hook[None] = Hook("sign-up refusals")
# (session, *, volunteer, now) -> a hold code or None: the sign-up waits for the organiser (the no-show policy).
signup_holds: Hook[str | None] = Hook("sign-up holds")
# (session, *, volunteer) -> the words explaining a held sign-up to its volunteer, or None.
hold_explanations: Hook[str | None] = Hook("hold explanations")
# (session, *, community_id, volunteer_ids) -> {volunteer id: no-shows counted}, shown on the organiser's list.
missed_counts: Hook[dict[int, int]] = Hook("no-shows counted per volunteer")
