"""My page's notices section: texts on or off for my number (退订) and, per kind, text and e-mail; in Chinese."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.notifications.models import ChannelChoice, PushSubscription, SmsOptOut
from tests.factories import make_org, make_person
from tests.web.pages import location, log_in, post, text_of

# Forms and cookies: the choices themselves run on both backends in tests/notifications/test_sms.py.
pytestmark = [pytest.mark.sqlite_only]


async def test_volunteer_turns_a_kind_off_and_then_unsubscribes(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    phone = volunteer.user.phone
    await log_in(client, volunteer)
    page = await client.get("/me")
    words = text_of(page.text)
    assert "短信通知" in words and f"{phone[:3]}****{phone[-4:]}" in words and "活动前一天的提醒" in words
    assert 'name="sms:activity.reminder" checked' in page.text and 'name="email:' not in page.text
    # Everything on but the reminder.
    form = {"sms_on": "on", "shown:sms": "on", "sms:signup.promoted": "on", "sms:activity.cancelled": "on",
            "sms:redemption.completed": "on", "sms:volunteer.card_pin_locked": "on"}
    assert location(await post(client, "/me/notices", form)) == "/me?notice_done=saved#notices"
    page = await client.get("/me?notice_done=saved")
    assert "通知设置已保存" in text_of(page.text)
    assert 'name="sms:activity.reminder">' in page.text and 'name="sms:signup.promoted" checked' in page.text
    async with db.session_scope() as s:
        assert (await s.get(ChannelChoice, (volunteer.user.id, "activity.reminder", "sms"))).enabled is False
    # Unticking "receive texts" is 退订 for the number.
    assert location(await post(client, "/me/notices", {"shown:sms": "on"})).endswith("#notices")
    async with db.session_scope() as s:
        assert (await s.get(SmsOptOut, phone)).source == "page"
    assert 'id="notices-sms-on">' in (await client.get("/me")).text


async def test_push_and_the_kinds_never_texted_are_chosen_on_the_page(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    async with db.session_scope() as s:  # a browser of theirs takes push messages
        s.add(PushSubscription(user_id=volunteer.user.id, endpoint="https://push.example.cn/send/9",
                               p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                               auth="tBHItJI5svbpez7KI4CCXg"))
    await log_in(client, volunteer)
    page = await client.get("/me")
    assert 'name="push:activity.reminder" checked' in page.text and 'name="push:certificate.issued" checked' in page.text
    assert 'name="sms:certificate.issued"' not in page.text and "其他通知（邮件和推送）" in text_of(page.text)
    assert "志愿服务证明已开具" in text_of(page.text)
    form = {"sms_on": "on", "shown:sms": "on", "shown:push": "on", "sms:activity.reminder": "on",
            "push:activity.reminder": "on"}
    assert location(await post(client, "/me/notices", form)) == "/me?notice_done=saved#notices"
    async with db.session_scope() as s:
        assert (await s.get(ChannelChoice, (volunteer.user.id, "certificate.issued", "push"))).enabled is False
        assert (await s.get(ChannelChoice, (volunteer.user.id, "activity.reminder", "push"))).enabled is True
        assert await s.get(ChannelChoice, (volunteer.user.id, "certificate.issued", "sms")) is None


def test_every_choosable_kind_has_a_label_in_chinese() -> None:
    from servicebank.notifications.preferences import CHOOSABLE_KINDS
    from servicebank.web import i18n
    from servicebank.web.pages.notifications import KIND_LABELS

    assert set(KIND_LABELS) == set(CHOOSABLE_KINDS)
    zh = i18n.translator("zh")
    assert all(zh(label) != label for label in KIND_LABELS.values())
