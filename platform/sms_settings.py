"""How text messages leave the platform: the provider, the gateway's address and credentials, the signature
scheme, the pre-approved template id of each kind of message, per-phone limits and quiet hours.

Kept apart from config.py so the SMS channel's settings are read and checked in one place; config.py only
holds an `SmsSettings` and calls `check` at start (a production install with a half-configured gateway
must refuse to start, not fail at three in the morning)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

LOG = "log"
GATEWAY = "gateway"
PROVIDERS = (LOG, GATEWAY)
HMAC_SHA256 = "hmac-sha256"
SIGNATURE_SCHEMES = (HMAC_SHA256,)
DEFAULT_QUIET_HOURS = "22:00-08:00"
# The kinds of message the SMS channel carries and the parameters of each one's template, in order: a gateway
# install registers one template per kind with its carrier (docs/notifications.md lists the wording) and names
# its id in SERVICEBANK_SMS_TEMPLATES. Nothing else is ever sent by SMS: no free text.
SMS_KINDS: dict[str, tuple[str, ...]] = {
    "activity.reminder": ("title", "time", "place"),
    "activity.starting_soon": ("title", "time", "place"),
    "signup.promoted": ("title", "time"),
    "activity.cancelled": ("title", "time"),
    "redemption.completed": ("points", "store", "receipt"),
    "volunteer.card_pin_locked": (),
    # A resident request's visit, the day before and the hour before (requests/reminders.py): to the volunteer
    # and to the resident's side alike, so the wording names only the service and the agreed time.
    "request.visit_reminder": ("service", "time"),
    "request.visit_soon": ("service", "time"),
    # Organisers' notices (notifications/notices.py): `scope` is the team or the activity they go to.
    "notice.meeting_point": ("scope", "time", "place"),
    "notice.time_changed": ("scope", "time"),
    "notice.bring_items": ("scope", "items"),
}
# Sent at once even in quiet hours: a spend or a locked card the person did not make, a cancelled morning activity.
# The hour's reminders too (an activity's, a visit's): held until 08:00 one would come after the start (it goes at
# most an hour before something the person chose to be at, or asked for).
URGENT_KINDS = frozenset({"activity.cancelled", "redemption.completed", "volunteer.card_pin_locked",
                          "activity.starting_soon", "request.visit_soon"})
# Reminders are texted to everyone no browser of theirs takes push for, e-mail or not: an e-mail is seldom read
# within the hour (notifications/preferences.py).
REMINDER_KINDS = frozenset({"activity.reminder", "activity.starting_soon", "request.visit_reminder",
                            "request.visit_soon"})
# One-time codes (login, phone check, card spend) are texts too, with their own template, but no notice: nobody
# chooses them off, quiet hours and 退订 do not hold them back (the person just asked for one).
CODE_KIND = "otp.code"
TEMPLATE_KINDS: dict[str, tuple[str, ...]] = {**SMS_KINDS, CODE_KIND: ("code", "minutes")}


class SmsSettingsError(RuntimeError):
    """The SMS settings cannot work; the message names the variable and what to set."""


def _env(name: str) -> str | None:
    value = os.environ.get(f"SERVICEBANK_SMS_{name}")
    return value.strip() if value is not None and value.strip() else None


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SmsSettingsError(f"SERVICEBANK_SMS_{name} must be a whole number, got {raw!r}") from exc


def parse_templates(raw: str | None) -> tuple[tuple[str, str], ...]:
    """`activity.reminder=SMS_1001,signup.promoted=SMS_1002` as (kind, template id) pairs."""
    pairs = []
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        kind, sep, template_id = part.partition("=")
        if not sep or not kind.strip() or not template_id.strip():
            raise SmsSettingsError(f"SERVICEBANK_SMS_TEMPLATES: {part.strip()!r} must look like kind=TEMPLATE_ID "
                                   "(e.g. activity.reminder=SMS_1001)")
        pairs.append((kind.strip(), template_id.strip()))
    return tuple(pairs)


def parse_quiet_hours(raw: str) -> tuple[dt.time, dt.time] | None:
    """`22:00-08:00` as (start, end); `off` (or an empty value) for none."""
    if raw.strip().lower() in {"", "off", "none"}:
        return None
    try:
        start, end = (dt.time.fromisoformat(p.strip()) for p in raw.split("-", 1))
    except ValueError as exc:
        raise SmsSettingsError(f"SERVICEBANK_SMS_QUIET_HOURS must look like 22:00-08:00 (or off), got {raw!r}") from exc
    if start == end:
        raise SmsSettingsError("SERVICEBANK_SMS_QUIET_HOURS: start and end are the same time; use off for none")
    return start, end


@dataclasses.dataclass(frozen=True)
class SmsSettings:
    """The SMS channel's settings; embedded default: the `log` provider (messages go to the log and the inbox)."""

    provider: str = LOG
    gateway_url: str | None = None
    # The account id the gateway gave us (sent as X-Sms-Key) and the shared secret that signs both ways.
    gateway_key: str | None = None
    gateway_secret: str | None = None
    signature_scheme: str = HMAC_SHA256
    # The sender signature (签名) registered with the gateway, e.g. 【社区志愿服务】.
    sign_name: str | None = None
    templates: tuple[tuple[str, str], ...] = ()
    per_minute: int = 1
    per_hour: int = 5
    per_day: int = 10
    quiet_hours: str = DEFAULT_QUIET_HOURS
    # How far the gateway's clock (X-Sms-Timestamp on callbacks) may be from ours.
    callback_max_skew_seconds: int = 300

    @property
    def template_ids(self) -> dict[str, str]:
        return dict(self.templates)

    @property
    def quiet(self) -> tuple[dt.time, dt.time] | None:
        return parse_quiet_hours(self.quiet_hours)

    def template_for(self, kind: str) -> str | None:
        """The registered template id of this kind; the log provider uses the kind itself when none is set."""
        found = self.template_ids.get(kind)
        if found is None and self.provider == LOG:
            return kind
        return found

    @classmethod
    def from_env(cls) -> SmsSettings:
        return cls(
            provider=(_env("PROVIDER") or LOG).lower(),
            gateway_url=_env("GATEWAY_URL"),
            gateway_key=_env("GATEWAY_KEY"),
            gateway_secret=_env("GATEWAY_SECRET"),
            signature_scheme=(_env("SIGNATURE_SCHEME") or HMAC_SHA256).lower(),
            sign_name=_env("SIGN_NAME"),
            templates=parse_templates(_env("TEMPLATES")),
            per_minute=_int("PER_MINUTE", 1),
            per_hour=_int("PER_HOUR", 5),
            per_day=_int("PER_DAY", 10),
            quiet_hours=_env("QUIET_HOURS") or DEFAULT_QUIET_HOURS,
            callback_max_skew_seconds=_int("CALLBACK_MAX_SKEW_SECONDS", 300),
        )

    def check(self, *, production: bool, required_kinds: tuple[str, ...] = tuple(TEMPLATE_KINDS)) -> SmsSettings:
        """Refuse settings that cannot send (the message says which variable to set)."""
        if self.provider not in PROVIDERS:
            raise SmsSettingsError(f"SERVICEBANK_SMS_PROVIDER must be one of {', '.join(PROVIDERS)}, "
                                   f"got {self.provider!r}")
        if self.signature_scheme not in SIGNATURE_SCHEMES:
            raise SmsSettingsError(f"SERVICEBANK_SMS_SIGNATURE_SCHEME {self.signature_scheme!r} is unknown; the "
                                   f"schemes known are: {', '.join(SIGNATURE_SCHEMES)}")
        if min(self.per_minute, self.per_hour, self.per_day) < 1 or not (
                self.per_minute <= self.per_hour <= self.per_day):
            raise SmsSettingsError("SERVICEBANK_SMS_PER_MINUTE, _PER_HOUR and _PER_DAY must be at least 1 and "
                                   "growing (minute <= hour <= day)")
        parse_quiet_hours(self.quiet_hours)
        if self.provider == GATEWAY:
            if not self.gateway_url or not self.gateway_url.startswith(("http://", "https://")):
                raise SmsSettingsError("SERVICEBANK_SMS_PROVIDER=gateway needs SERVICEBANK_SMS_GATEWAY_URL "
                                       "(https://… the gateway's send address)")
            if not self.gateway_key or not self.gateway_secret:
                raise SmsSettingsError("SERVICEBANK_SMS_GATEWAY_URL is set without credentials: set "
                                       "SERVICEBANK_SMS_GATEWAY_KEY and SERVICEBANK_SMS_GATEWAY_SECRET (the account "
                                       "id and signing secret the gateway gave you)")
            if production and len(self.gateway_secret) < 16:
                raise SmsSettingsError("SERVICEBANK_SMS_GATEWAY_SECRET is too short to sign with (at least 16 "
                                       "characters)")
            missing = [k for k in required_kinds if k not in self.template_ids]
            if missing:
                raise SmsSettingsError("SERVICEBANK_SMS_TEMPLATES has no registered template id for: "
                                       f"{', '.join(missing)} (every SMS is a pre-approved template; add "
                                       "kind=TEMPLATE_ID for each)")
        unknown = [k for k in self.template_ids if k not in required_kinds]
        if unknown:
            raise SmsSettingsError(f"SERVICEBANK_SMS_TEMPLATES names kinds that are never sent by SMS: "
                                   f"{', '.join(unknown)} (known: {', '.join(required_kinds)})")
        return self
