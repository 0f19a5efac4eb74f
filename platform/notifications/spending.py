"""Tell a volunteer every time their points are spent at a store, when a receipt is refunded, and when
wrong PINs locked their printed card.

A printed card or a phone code in someone else's hands spends the volunteer's points; the message in
their inbox (and e-mail, where they chose it) is how they learn of a spend they did not make.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, recipients_for, settings_of
from servicebank.stores.models import Redemption, RedemptionLine, Store

METHODS = {"card": "纸质二维码卡", "code": "手机兑换码"}


@subscribe("redemption.completed", "redemption.refunded")
async def on_redemption(session: AsyncSession, event: OutboxEvent) -> None:
    """Every spend, by card or by code (what, where, when, how, and what to do if it was not them); every refund."""
    redemption = await session.get(Redemption, event.payload["redemption_id"])
    if redemption is None:
        return
    store = await session.get(Store, redemption.store_id)
    store_name = store.name if store else ""
    lines = (await session.execute(select(RedemptionLine.item_name, RedemptionLine.quantity)
                                   .where(RedemptionLine.redemption_id == redemption.id)
                                   .order_by(RedemptionLine.id))).all()
    items = "、".join(f"{name}×{quantity}" for name, quantity in lines)
    points, receipt = redemption.total_points, redemption.receipt_no
    if event.type == "redemption.refunded":
        message = Message(type=event.type, title=f"积分已退回：{points} 积分",
                          body=f"{store_name}退回了小票 {receipt}（{items}）的 {points} 积分。")
    else:
        when = redemption.created_at.astimezone(ZoneInfo(settings_of(session).timezone)).strftime("%m月%d日 %H:%M")
        how = METHODS.get(redemption.method, redemption.method)
        message = Message(type=event.type, title=f"积分消费：{points} 积分",
                          body=f"{when} 在{store_name}用{how}兑换了{items}，共 {points} 积分（小票号 {receipt}）。"
                               "如果不是您本人，请立即联系社区工作者挂失补卡并重设消费密码。",
                          params={"points": str(points), "store": store_name, "receipt": receipt or ""})
    await deliver(session, event, await recipients_for(session, [redemption.volunteer_id]), message)


@subscribe("volunteer.card_pin_locked")
async def on_card_pin_locked(session: AsyncSession, event: OutboxEvent) -> None:
    """Five wrong PINs in a row with the volunteer's card: it no longer pays until they set a new PIN."""
    message = Message(type=event.type, title="纸质卡已锁定",
                      body="有人用您的纸质二维码卡连续 5 次输错消费密码，此卡已暂停兑换。如果不是您本人，请联系社区工作者"
                           "挂失补卡；如果是您忘记了密码，请在“我的”页面重新设置消费密码。", params={})
    await deliver(session, event, await recipients_for(session, [event.payload["volunteer_id"]]), message)
