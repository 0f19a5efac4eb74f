"""The stores' front door: what the API, the pages, the CLI and the tasks call (爱心超市 and merchants).

The work is done in the modules named here, each small and about one thing (the catalogue, the till, receipts
and refunds, settlement, the codes volunteers show); callers outside the domain use these names only, so a
module behind them can be split or merged without touching a route or a page. Who may do what is in
access.py, which these functions use."""

from __future__ import annotations

from servicebank.stores.access import get_store, require_till, till_stores
from servicebank.stores.card_codes import text_spend_code
from servicebank.stores.catalogue import (
    MAX_REFUND_DAYS,
    adjust_stock,
    create_item,
    create_store,
    delete_item,
    items_for,
    store_for,
    stores_for,
    update_item,
    update_store,
)
from servicebank.stores.clerks import add_clerk, list_clerks, remove_clerk
from servicebank.stores.codes import issue_code, verify_code
from servicebank.stores.receipts import my_receipts, receipt_for, refund, store_receipts
from servicebank.stores.receipts import outs as receipts_out
from servicebank.stores.settlement import compute as compute_settlement
from servicebank.stores.settlement import filename as settlement_filename
from servicebank.stores.settlement import settlement_for
from servicebank.stores.settlement import to_csv as settlement_csv
from servicebank.stores.settlement import to_xlsx as settlement_xlsx
from servicebank.stores.short_codes import as_short_code, is_live_code_of, wrong_code
from servicebank.stores.short_codes import issue as issue_short_code
from servicebank.stores.till import redeem, scan

__all__ = [
    "MAX_REFUND_DAYS", "add_clerk", "adjust_stock", "as_short_code", "compute_settlement", "create_item", "create_store", "delete_item",
    "get_store", "is_live_code_of", "issue_code", "issue_short_code", "items_for", "list_clerks", "my_receipts",
    "receipt_for", "receipts_out", "redeem", "refund", "remove_clerk", "require_till", "scan", "settlement_csv",
    "settlement_filename", "settlement_for", "settlement_xlsx", "store_for", "store_receipts", "stores_for", "text_spend_code",
    "till_stores", "update_item", "update_store", "verify_code", "wrong_code",
]
