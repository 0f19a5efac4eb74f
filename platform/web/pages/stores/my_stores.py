"""去爱心超市兑换: the stores of the volunteer's community, where they are, when they open, and what each item
costs in points (with the stock), from the stores domain's catalogue service, as the API shows them."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.ledger.service import account_view
from servicebank.stores import catalogue
from servicebank.web import i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, render


class MyStorePages(Controller):
    path = "/me/stores"
    include_in_schema = False

    @get("/")
    async def stores(self, request: Request, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Each store of my community with its address, opening hours and priced items; my balance beside."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        volunteer_id = principal.require_volunteer()
        shelves = []
        if principal.volunteer_community_id is not None:  # pending or suspended: no community's stores yet
            for store in await catalogue.stores_for(db_session, actor=principal, community_id=None):
                shelves.append((store, await catalogue.items_for(db_session, actor=principal, store_id=store.id)))
        account = await account_view(db_session, principal=principal, volunteer_id=volunteer_id, recent=0)
        return render(request, "stores/my_stores.html", principal, title=_("Charity supermarket"), shelves=shelves,
                      balance=account.balance)
