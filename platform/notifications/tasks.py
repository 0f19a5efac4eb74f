"""Notification jobs: send queued e-mails."""

from __future__ import annotations

import dramatiq

from servicebank.notifications.smtp import send_pending_emails
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every


@dramatiq.actor(actor_name="notifications.send_emails", queue_name="default", max_retries=0)
async def send_emails() -> None:
    """Send what the e-mail channel queued (no-op without settings.smtp_url)."""
    db = worker_db()
    await send_pending_emails(db, db.settings)


every("notifications-send-emails", "notifications.send_emails", seconds=30)
