"""Send queued e-mails through settings.smtp_url (smtp://user:pass@host:587?starttls=true&from=a@b.cn, or
smtps:// for implicit TLS)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import smtplib
from email.message import EmailMessage as MimeMessage
from urllib.parse import parse_qs, unquote, urlparse

from sqlalchemy import select

from servicebank.config import Settings, SettingsError
from servicebank.kernel.db import Database
from servicebank.notifications.models import EmailMessage, EmailStatus

MAX_EMAIL_ATTEMPTS = 8
BATCH = 50


@dataclasses.dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None
    sender: str


def parse_smtp_url(url: str, *, public_url: str = "http://localhost") -> SmtpTarget:
    """Read host, port, TLS, login and sender from the URL."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"} or not parsed.hostname:
        raise SettingsError("SERVICEBANK_SMTP_URL must look like smtp://user:pass@host:587?starttls=true&from=x@y")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    ssl = parsed.scheme == "smtps"
    default_sender = f"noreply@{urlparse(public_url).hostname or 'localhost'}"
    return SmtpTarget(
        host=parsed.hostname, port=parsed.port or (465 if ssl else 25), ssl=ssl,
        starttls=query.get("starttls", "false").lower() in {"1", "true", "yes"},
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        sender=query.get("from", default_sender),
    )


def _send(target: SmtpTarget, messages: list[MimeMessage]) -> list[str | None]:
    """Send over one connection; per message None or the error text."""
    client_class = smtplib.SMTP_SSL if target.ssl else smtplib.SMTP
    results: list[str | None] = []
    with client_class(target.host, target.port, timeout=20) as client:
        if target.starttls:
            client.starttls()
        if target.username:
            client.login(target.username, target.password or "")
        for mime in messages:
            try:
                client.send_message(mime)
                results.append(None)
            except smtplib.SMTPException as exc:
                results.append(str(exc)[:1000])
    return results


async def send_pending_emails(db: Database, settings: Settings) -> int:
    """Send one batch of queued e-mails; returns how many were sent."""
    if not settings.smtp_url:
        return 0
    target = parse_smtp_url(settings.smtp_url, public_url=settings.public_url)
    async with db.session_scope() as session:
        query = (select(EmailMessage).where(EmailMessage.status == EmailStatus.PENDING)
                 .order_by(EmailMessage.id).limit(BATCH).with_for_update(skip_locked=True))
        rows = list((await session.scalars(query)).all())
        if not rows:
            return 0
        mimes = []
        for row in rows:
            mime = MimeMessage()
            mime["From"], mime["To"], mime["Subject"] = target.sender, row.to_address, row.subject
            mime.set_content(row.body)
            mimes.append(mime)
        try:
            results: list[str | None] = await asyncio.to_thread(_send, target, mimes)
        except (OSError, smtplib.SMTPException) as exc:
            results = [f"{type(exc).__name__}: {exc}"[:1000]] * len(rows)
        now = dt.datetime.now(dt.UTC)
        sent = 0
        for row, error in zip(rows, results, strict=True):
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.last_error = EmailStatus.SENT, now, None
                sent += 1
            else:
                row.last_error = error
                if row.attempts >= MAX_EMAIL_ATTEMPTS:
                    row.status = EmailStatus.FAILED
        return sent
