"""Error codes of the domains as plain words for volunteers (English msgids, translated in the .po)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servicebank import error_codes
from servicebank.kernel.errors import DomainError
from servicebank.web import i18n
from servicebank.web.i18n import N_
from servicebank.web.render import lang_of

if TYPE_CHECKING:
    from litestar import Request
    from sqlalchemy.ext.asyncio import AsyncSession

# Every code's words live in the error registry; the pages read them from here.
MESSAGES = error_codes.MESSAGES


# Why the till shows an item as not redeemable for the volunteer at the counter (stores/till.py scan reasons).
ITEM_REASONS = {
    "out_of_stock": N_("Out of stock"),
    "monthly_limit_exceeded": N_("Monthly limit for this item reached"),
    "insufficient_balance": N_("Not enough points"),
    "service_hours_too_few": N_("Needs more service hours"),
    "item_unavailable": N_("Withdrawn from the catalogue"),
}


def item_reason(code: str | None, gettext) -> str:  # noqa: ANN001
    """Why one item cannot be redeemed now, in the page's language."""
    return gettext(ITEM_REASONS.get(code or "", N_("Not redeemable now")))


def explain(error: DomainError, gettext) -> str:  # noqa: ANN001
    """The message to show for a refused action, in the page's language."""
    wait = error.extra.get("retry_after") if error.code == "login_rate_limited" else None
    if isinstance(wait, int):
        # The login waits grow from a second to 15 minutes: say how long this one is.
        when = gettext("%(n)s seconds", n=wait) if wait < 60 else gettext("%(n)s minutes", n=-(-wait // 60))
        return gettext("Too many wrong tries. Please wait %(wait)s and try again.", wait=when)
    missing = error.extra.get("missing_trainings") if error.code == "training_required" else None
    if missing:
        # Name the trainings: the volunteer knows at once which course to ask for.
        names = "、".join(gettext(m["category"]) + (gettext(" (within the last %(n)s months)", n=m["within_months"])
                                                   if m["within_months"] else "") for m in missing)
        return gettext("This service requires a training first: %(names)s. Please take it, or ask the organiser to "
                       "record one you have taken.", names=names)
    # Errors raised by the web pages themselves carry a precise sentence from our own catalogue.
    if error.message in i18n.catalogue("zh"):
        return gettext(error.message)
    message = MESSAGES.get(error.code)
    if message is not None:
        return gettext(message)
    # Only a code missing from the registry gets here (tests/test_error_codes.py fails on those).
    return gettext("It did not work: %(reason)s", reason=error.message)


async def refused(request: Request, session: AsyncSession, exc: DomainError) -> str:
    """A form's change was refused: undo what it had written, and say why in the reader's language (the page
    is then shown again with the person's input and this sentence)."""
    await session.rollback()
    return explain(exc, i18n.translator(lang_of(request)))
