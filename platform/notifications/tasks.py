"""Notification jobs: send queued e-mails, texts and push messages."""

from __future__ import annotations

import dramatiq

from servicebank.notifications.push_sender import send_due_push
from servicebank.notifications.sms_sender import send_due_sms
from servicebank.notifications.smtp import send_pending_emails
from servicebank.workers.runtime import worker_db
from servicebank.workers.schedule import every


@dramatiq.actor(actor_name="notifications.send_emails", queue_name="default", max_retries=0)
async def send_emails() -> None:
    """Send what the e-mail channel queued (no-op without settings.smtp_url)."""
    db = worker_db()
    await send_pending_emails(db, db.settings)


@dramatiq.actor(actor_name="notifications.send_sms", queue_name="default", max_retries=0)
async def send_sms() -> None:
    """Send the texts that are due; each row keeps its own attempts and next try, so the actor never retries."""
    db = worker_db()
    await send_due_sms(db, db.settings)


@dramatiq.actor(actor_name="notifications.send_push", queue_name="default", max_retries=0)
async def send_push() -> None:
    """Send the push messages that are due (no-op without a VAPID key)."""
    db = worker_db()
    await send_due_push(db, db.settings)


every("notifications-send-emails", "notifications.send_emails", seconds=30)
every("notifications-send-sms", "notifications.send_sms", seconds=15)
every("notifications-send-push", "notifications.send_push", seconds=15)
