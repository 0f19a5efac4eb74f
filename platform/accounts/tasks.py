"""Periodic housekeeping of logins."""

from __future__ import annotations

from servicebank.accounts.one_time_codes import prune_codes
from servicebank.accounts.ratelimit import prune_attempts
from servicebank.workers.runtime import periodic_job

# Forget login counts idle for longer than the limits remember them (accounts/ratelimit.py).
prune_login_attempts = periodic_job("accounts-prune-login-attempts", "accounts.prune_login_attempts",
                                    seconds=3600, done="forgot %d idle login counts")(prune_attempts)
# Delete texted one-time codes a day after they expired (accounts/one_time_codes.py).
prune_one_time_codes = periodic_job("accounts-prune-one-time-codes", "accounts.prune_one_time_codes",
                                    seconds=3600, done="pruned %d expired one-time codes")(prune_codes)
