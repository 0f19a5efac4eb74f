"""What checkins asks other domains before recording attendance by hand (kernel/hooks.py): answered by
records/gates.py."""

from __future__ import annotations

from servicebank.kernel.hooks import Hook

# (session, *, activity_id, volunteer_id) -> None: raise a DomainError when the same service is already being
# counted another way (a late claim of the volunteer's for this activity).
manual_record_refusals: Hook[None] = Hook("manual record refusals")
