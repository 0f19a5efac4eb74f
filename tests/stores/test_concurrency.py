"""100 redemptions at once, each in its own transaction: the balance or the stock decides, never a race."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import User
from servicebank.accounts.sessions import load_principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError
from servicebank.ledger.models import Account, AccountKind
from servicebank.stores import codes, till
from servicebank.stores.models import Redemption, StoreItem
from servicebank.stores.schemas import LineIn
from tests.conftest import TEST_SECRET
from tests.stores.support import assert_ledger_ok, make_shop

ATTEMPTS = 100


async def _race(db, settings, shop, *, item_id: int) -> list[str]:  # noqa: ANN001
    """Fire ATTEMPTS redemptions of one unit concurrently; 'ok' or the refusal code of each."""
    async with db.session_scope() as s:
        clerk = await load_principal(s, await s.get(User, shop.clerk.user.id))
    volunteer_id = shop.volunteer.volunteer.id
    issued = [codes.issue_code(secret_key=TEST_SECRET, volunteer_id=volunteer_id, now=utcnow()).code
              for _ in range(ATTEMPTS)]

    async def attempt(code: str) -> str:
        try:
            async with db.session_scope() as s:
                await till.redeem(s, actor=clerk, settings=settings, store_id=shop.store.id, code=code,
                                  lines=[LineIn(item_id=item_id, quantity=1)])
        except DomainError as exc:
            return exc.code
        return "ok"

    return list(await asyncio.gather(*(attempt(code) for code in issued)))


async def _figures(db, shop, item_id: int) -> tuple[int, int | None, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        balance = await s.scalar(select(Account.balance).where(
            Account.kind == AccountKind.VOLUNTEER, Account.owner_id == shop.volunteer.volunteer.id))
        stock = await s.scalar(select(StoreItem.stock).where(StoreItem.id == item_id))
        receipts = await s.scalar(select(func.count(Redemption.id)))
    return int(balance), stock, int(receipts or 0)


@pytest.mark.postgres_only
async def test_balance_covering_ten_gives_exactly_ten(db, session, settings) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=10 * 30)
    outcomes = await _race(db, settings, shop, item_id=shop.haircut.id)
    assert outcomes.count("ok") == 10
    assert set(outcomes) == {"ok", "insufficient_balance"}
    balance, _, receipts = await _figures(db, shop, shop.haircut.id)
    assert balance == 0 and receipts == 10
    await assert_ledger_ok(db)


@pytest.mark.postgres_only
async def test_stock_as_the_limit_gives_exactly_the_stock(db, session, settings) -> None:  # noqa: ANN001
    shop = await make_shop(session, points=100_000)
    async with db.session_scope() as s:
        soap = StoreItem(store_id=shop.store.id, name="毛巾", unit="条", price_points=15, stock=7)
        s.add(soap)
    outcomes = await _race(db, settings, shop, item_id=soap.id)
    assert outcomes.count("ok") == 7
    assert set(outcomes) == {"ok", "out_of_stock"}
    balance, stock, receipts = await _figures(db, shop, soap.id)
    assert stock == 0 and receipts == 7 and balance == 100_000 - 7 * 15
    await assert_ledger_ok(db)
