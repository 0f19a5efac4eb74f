"""Refunds (whole receipt, once, within the period) and the monthly settlement in JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select, update

from servicebank.ledger.models import Account, AccountKind, Transaction
from servicebank.stores.models import Redemption, RedemptionLine, Store, StoreItem
from servicebank.volunteers.models import Volunteer
from tests.spreadsheet_checks import PAYLOADS, assert_csv_neutral, assert_xlsx_neutral
from tests.stores.support import assert_ledger_ok, fresh_code, make_shop


async def _redeem(client, shop, lines) -> dict:  # noqa: ANN001
    response = await client.post(f"/api/stores/{shop.store.id}/redemptions", headers=shop.clerk.headers,
                                 json={"code": await fresh_code(client, shop.volunteer), "lines": lines})
    assert response.status_code == 201, response.text
    return response.json()


async def test_refund_reverses_points_restores_stock_and_allowance_once(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    receipt = await _redeem(client, shop, [{"item_id": shop.rice.id, "quantity": 1},
                                           {"item_id": shop.haircut.id, "quantity": 2}])
    refund = await client.post(f"/api/redemptions/{receipt['id']}/refund", headers=shop.clerk.headers,
                               json={"reason": "米袋破损"})
    assert refund.status_code == 200, refund.text
    assert refund.json()["status"] == "refunded" and refund.json()["refund_reason"] == "米袋破损"
    async with db.session_scope() as s:
        balance = await s.scalar(select(Account.balance).where(
            Account.kind == AccountKind.VOLUNTEER, Account.owner_id == shop.volunteer.volunteer.id))
        assert balance == 500
        assert await s.scalar(select(StoreItem.stock).where(StoreItem.id == shop.rice.id)) == 5
        redemption = await s.get(Redemption, receipt["id"])
        reversal = await s.get(Transaction, redemption.refund_transaction_id)
        assert reversal.reverses_id == redemption.transaction_id
    twice = await client.post(f"/api/redemptions/{receipt['id']}/refund", headers=shop.clerk.headers, json={})
    assert twice.status_code == 409 and twice.json()["code"] == "already_refunded"
    # The monthly allowance came back with the rice.
    await _redeem(client, shop, [{"item_id": shop.rice.id, "quantity": 1}])
    await assert_ledger_ok(db)


async def test_refund_after_the_period_and_by_the_wrong_people(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session)
    receipt = await _redeem(client, shop, [{"item_id": shop.oil.id, "quantity": 1}])
    by_volunteer = await client.post(f"/api/redemptions/{receipt['id']}/refund", headers=shop.volunteer.headers,
                                     json={})
    assert by_volunteer.status_code == 403 and by_volunteer.json()["code"] == "not_store_clerk"
    async with db.session_scope() as s:
        await s.execute(update(Redemption).where(Redemption.id == receipt["id"]).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8)))
    late = await client.post(f"/api/redemptions/{receipt['id']}/refund", headers=shop.clerk.headers, json={})
    assert late.status_code == 409 and late.json()["code"] == "refund_period_over"
    assert (await client.get(f"/api/redemptions/{receipt['id']}", headers=shop.clerk.headers)).json()["status"] \
        == "completed"
    await assert_ledger_ok(db)


async def test_settlement_json_csv_and_xlsx_agree(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=2000)
    first = await _redeem(client, shop, [{"item_id": shop.rice.id, "quantity": 1},
                                         {"item_id": shop.oil.id, "quantity": 2}])
    await _redeem(client, shop, [{"item_id": shop.oil.id, "quantity": 1}, {"item_id": shop.haircut.id, "quantity": 3}])
    refunded = await client.post(f"/api/redemptions/{first['id']}/refund", headers=shop.clerk.headers, json={})
    assert refunded.status_code == 200
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    url = f"/api/stores/{shop.store.id}/settlements/{month}"

    summary = (await client.get(url, headers=shop.organiser.headers)).json()
    assert (summary["redemptions"], summary["volunteers"], summary["points_received"], summary["refunds"],
            summary["points_refunded"], summary["net_points"]) == (2, 1, 280 + 170, 1, 280, 170)
    items = {i["item_name"]: i for i in summary["items"]}
    assert (items["食用油"]["quantity"], items["食用油"]["points"], items["食用油"]["refunded_quantity"],
            items["食用油"]["net_points"]) == (3, 240, 2, 80)
    assert items["理发服务"]["net_quantity"] == 3 and items["大米 5kg"]["net_points"] == 0

    as_csv = await client.get(url + "?format=csv", headers=shop.clerk.headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["商品/服务", "单位", "兑换数量", "兑换积分"]
    assert rows[-1][0] == "合计" and int(rows[-1][3]) == 450 and int(rows[-1][7]) == 170
    assert {r[0]: int(r[7]) for r in rows[1:-1]} == {"食用油": 80, "理发服务": 90, "大米 5kg": 0}

    as_xlsx = await client.get(url + "?format=xlsx", headers=shop.clerk.headers)
    assert as_xlsx.status_code == 200 and "attachment" in as_xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["汇总", "明细"]
    figures = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=1, max_row=8, values_only=True)}
    assert figures["收到积分"] == 450 and figures["退还积分"] == 280 and figures["净积分"] == 170
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[0][0] == "小票号" and len(detail) == 3
    assert {r[5] for r in detail[1:]} == {"已兑换", "已退还"}
    assert all(r[3] == "王*英" for r in detail[1:])

    bad = await client.get(f"/api/stores/{shop.store.id}/settlements/2026-13", headers=shop.clerk.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_month"
    by_volunteer = await client.get(url, headers=shop.volunteer.headers)
    assert by_volunteer.status_code == 403
    await assert_ledger_ok(db)


async def test_settlement_exports_never_run_typed_text_as_formulas(db, session, client) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=2000)
    first = await _redeem(client, shop, [{"item_id": shop.rice.id, "quantity": 1},
                                         {"item_id": shop.oil.id, "quantity": 1}])
    await _redeem(client, shop, [{"item_id": shop.haircut.id, "quantity": 1}])
    assert (await client.post(f"/api/redemptions/{first['id']}/refund", headers=shop.clerk.headers,
                              json={"reason": "破损"})).status_code == 200
    # The store's, the items' and the volunteer's names, units and the refund reason, as a clerk might type them.
    async with db.session_scope() as s:
        await s.execute(update(Store).where(Store.id == shop.store.id).values(name=PAYLOADS[0]))
        lines = (await s.scalars(select(RedemptionLine).order_by(RedemptionLine.id))).all()
        for line, name, unit in zip(lines, PAYLOADS, reversed(PAYLOADS), strict=False):
            line.item_name, line.unit = name, unit
        await s.execute(update(Redemption).where(Redemption.id == first["id"]).values(refund_reason=PAYLOADS[4]))
        await s.execute(update(Volunteer).where(Volunteer.id == shop.volunteer.volunteer.id).values(
            real_name=PAYLOADS[5], number=PAYLOADS[2]))
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    url = f"/api/stores/{shop.store.id}/settlements/{month}"
    as_xlsx = await client.get(url + "?format=xlsx", headers=shop.clerk.headers)
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert_xlsx_neutral(as_xlsx.content, PAYLOADS)
    as_csv = await client.get(url + "?format=csv", headers=shop.clerk.headers)
    assert as_csv.status_code == 200, as_csv.text
    rows = assert_csv_neutral(as_csv.content.decode("utf-8"), PAYLOADS[:3])
    assert rows[-1][0] == "合计" and int(rows[-1][3]) == 120 + 80 + 30
