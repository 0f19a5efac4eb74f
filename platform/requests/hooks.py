"""What requests asks other domains while a volunteer takes a request (kernel/hooks.py): answered by
records/gates.py (insurance a category requires), so requests never imports records."""

from __future__ import annotations

from servicebank.kernel.hooks import Condition, Hook

# (session, *, request, volunteer_id, on) -> None: raise a DomainError to refuse the volunteer (e.g. no insurance
# cover valid on `on`, the visit's local day, for a category that requires it). Asked before anything is written.
acceptance_refusals: Hook[None] = Hook("request acceptance refusals")

# (community_id, category_id: the request's columns) -> a SQL condition, true where a rule of the answering domain
# applies to this request's category (e.g. it requires cover), so that acceptance_refusals could refuse someone.
# The one-statement accept (fast_accept.py) takes a request only where none holds; the rest take the general path,
# which asks acceptance_refusals. Every domain answering acceptance_refusals answers this too (tested).
acceptance_rules_apply: Condition = Condition("request acceptance rules apply")
