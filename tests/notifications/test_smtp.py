"""The e-mail channel against a tiny SMTP server on 127.0.0.1 (started by the test)."""

from __future__ import annotations

import asyncio
import email

import pytest
from sqlalchemy import select

from servicebank.kernel import events
from servicebank.notifications.models import EmailMessage
from servicebank.notifications.smtp import parse_smtp_url, send_pending_emails
from tests.activities.conftest import create


class TinySmtp:
    """Just enough SMTP to accept messages, kept in `received`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 tiny ESMTP\r\n")
        sender, rcpts = "", []
        while line := await reader.readline():
            cmd = line.decode().strip()
            upper = cmd.upper()
            if upper.startswith(("EHLO", "HELO")):
                writer.write(b"250 tiny\r\n")
            elif upper.startswith("MAIL FROM:"):
                sender, rcpts = cmd[10:].strip("<> "), []
                writer.write(b"250 OK\r\n")
            elif upper.startswith("RCPT TO:"):
                rcpts.append(cmd[8:].strip("<> "))
                writer.write(b"250 OK\r\n")
            elif upper == "DATA":
                writer.write(b"354 go\r\n")
                await writer.drain()
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                self.received.append((sender, rcpts, data))
                writer.write(b"250 queued\r\n")
            elif upper == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()


def test_smtp_url_parsing() -> None:
    target = parse_smtp_url("smtps://bot%40x.cn:p%40ss@mail.x.cn?from=noreply@x.cn")
    assert (target.host, target.port, target.ssl, target.username, target.password, target.sender) == (
        "mail.x.cn", 465, True, "bot@x.cn", "p@ss", "noreply@x.cn")
    with pytest.raises(Exception, match="SMTP_URL"):
        parse_smtp_url("http://mail.x.cn")


async def test_signup_confirmation_is_mailed_once(client, world, db) -> None:  # noqa: ANN001
    server = TinySmtp()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        db.settings = db.settings.replace(smtp_url=f"smtp://127.0.0.1:{port}?from=bank@example.cn")
        await client.put("/api/notifications/preferences", json={"email": "wang@example.cn", "email_enabled": True},
                         headers=world.volunteer.headers)
        activity = await create(client, world)
        await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
        await events.drain(db)
        assert await send_pending_emails(db, db.settings) == 1
        assert await send_pending_emails(db, db.settings) == 0
    finally:
        listener.close()
        await listener.wait_closed()
    assert len(server.received) == 1
    sender, rcpts, data = server.received[0]
    assert sender == "bank@example.cn" and rcpts == ["wang@example.cn"]
    message = email.message_from_bytes(data)
    assert "报名成功" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    async with db.session_scope() as s:
        row = (await s.scalars(select(EmailMessage))).one()
        assert row.status == "sent" and row.attempts == 1


async def test_unreachable_server_keeps_the_mail_for_a_retry(client, world, db) -> None:  # noqa: ANN001
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    db.settings = db.settings.replace(smtp_url=f"smtp://127.0.0.1:{port}")
    await client.put("/api/notifications/preferences", json={"email": "wang@example.cn", "email_enabled": True},
                     headers=world.volunteer.headers)
    activity = await create(client, world)
    await client.post(f"/api/activities/{activity['id']}/signups", headers=world.volunteer.headers)
    await events.drain(db)
    assert await send_pending_emails(db, db.settings) == 0
    async with db.session_scope() as s:
        row = (await s.scalars(select(EmailMessage))).one()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
