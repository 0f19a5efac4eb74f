"""What requests asks other domains while a volunteer takes a request (kernel/hooks.py): answered by
records/gates.py (insurance a category requires), so requests never imports records."""

from __future__ import annotations

from servicebank.kernel.hooks import Hook

# (session, *, request, volunteer_id, on) -> None: raise a DomainError to refuse the volunteer (e.g. no insurance
# cover valid on `on`, the visit's local day, for a category that requires it). Asked before anything is written.
acceptance_refusals: Hook[None] = Hook("request acceptance refusals")
