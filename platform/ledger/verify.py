"""Re-derive every kept figure from the immutable ledger lines and report any difference."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, or_, select, true

from servicebank.checkins.models import Attendance
from servicebank.kernel import partitions
from servicebank.kernel.db import Database
from servicebank.leaderboards.push import (
    KEY_PREFIX,
    REBUILD_REQUESTED,
    board_key,
    member_for,
    scopes_of,
    sync_client,
)
from servicebank.leaderboards.rebuild import aggregate, period_expressions, scopes_to_rebuild
from servicebank.leaderboards.rebuild_month import month_credits
from servicebank.leaderboards.retention import kept_in_redis, oldest_kept_month
from servicebank.ledger import carry, community_totals, detach, months
from servicebank.ledger.carry import REQUEST_TRANSACTION_KIND
from servicebank.ledger.levels import star_level
from servicebank.ledger.models import (
    Account,
    AccountKind,
    AttendancePosting,
    Entry,
    MonthChecksum,
    PeriodTotal,
    ServiceCredit,
    Transaction,
    VolunteerStanding,
)
from servicebank.ledger.verify_records import verify_claim_postings, verify_correction_reversals
from servicebank.requests.models import ServiceRequest
from servicebank.volunteers.models import Volunteer

MAX_REPORTED = 50
LEADERBOARDS_NOT_USED, LEADERBOARDS_NOT_BUILT, LEADERBOARDS_REBUILDING = "not_used", "not_built", "rebuilding"


class Report:
    """Differences found, by check; `ok` when there are none."""

    def __init__(self) -> None:
        self.checks: dict[str, int] = {}
        self.problems: list[dict[str, Any]] = []
        # "not_used" (no Redis), "ok", "mismatch", or not checked: "not_built" / "rebuilding" (no difference,
        # the boards are being refilled from PostgreSQL).
        self.leaderboards = LEADERBOARDS_NOT_USED

    def add(self, check: str, **details: Any) -> None:
        self.checks[check] = self.checks.get(check, 0) + 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append({"check": check, **details})

    def passed(self, check: str) -> None:
        self.checks.setdefault(check, 0)

    @property
    def ok(self) -> bool:
        """No difference, and everything checked (a board not built yet is not verified)."""
        return not self.differs and not self.leaderboards_pending

    @property
    def differs(self) -> bool:
        """Some kept figure differs from the one derived from the ledger."""
        return any(self.checks.values())

    @property
    def leaderboards_pending(self) -> bool:
        """The Redis boards could not be checked yet: not built, or being rebuilt."""
        return self.leaderboards in (LEADERBOARDS_NOT_BUILT, LEADERBOARDS_REBUILDING)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "differences": self.checks, "problems": self.problems,
                "leaderboards": self.leaderboards}


CHECKS = ("transactions_balance", "account_balances", "earned_points", "standings", "period_totals",
          "community_totals", "attendance_postings", "attendance_posting_scopes", "request_postings",
          "claim_postings", "correction_postings", "line_months", "month_checksums")
MONTH_CHECKS = ("transactions_balance", "earned_points", "line_months", "month_checksums", "period_totals",
                "community_totals")


async def verify(db: Database, *, month: str | None = None, deep: bool = False) -> Report:
    """Check balances, zero sums, totals, attendance postings and (when used) the Redis leaderboards.

    Each transaction's lines are checked for the open months; a closed month (ledger/months.py) is compared
    with the checksum stored when it closed, by its counts and sums, or with `deep` by every line again.
    `month` checks that month's lines alone, and a closed one against its full checksum.
    """
    if month is not None:
        return await _verify_month(db, month)
    report = Report()
    stored = await months.closed_checksums(db)
    open_from = next((m for m in await months.ledger_months(db) if m not in stored), months.current_month())
    since = None if deep else partitions.month_bounds(open_from)[0]
    async with db.session_scope() as session:
        for check in CHECKS:
            report.passed(check)
        await _verify_lines(session, report, lambda column: column >= since if since is not None else true())
        # A detached year's months were compared with their checksums when they detached (ledger/detach.py).
        detached = {str(year) for year in await carry.detached_years(session)}
        for closed in sorted(m for m in stored if m[:4] not in detached):
            await _verify_checksum(session, report, closed, stored[closed], deep=deep)
        await _verify_balances(session, report)
        derived: dict[tuple[int, str], tuple[int, int]] = await carry.carried_periods(session)
        for expr in period_expressions(db.dialect):
            for vid, period, minutes, points in (await session.execute(aggregate(expr))).all():
                have = derived.get((vid, period), (0, 0))
                derived[(vid, period)] = (have[0] + int(minutes), have[1] + int(points))
        kept = {(r.volunteer_id, r.period): (r.minutes, r.points)
                for r in (await session.execute(select(PeriodTotal.volunteer_id, PeriodTotal.period,
                                                       PeriodTotal.minutes, PeriodTotal.points))).all()}
        for key in sorted(set(derived) | set(kept)):
            want, have = derived.get(key, (0, 0)), kept.get(key, (0, 0))
            if want != have:
                report.add("period_totals", volunteer_id=key[0], period=key[1], kept=list(have), derived=list(want))
        await _verify_community_totals(session, derived, report)
        for s in (await session.scalars(select(VolunteerStanding))).all():
            want = derived.get((s.volunteer_id, "all"), (0, 0))
            if (s.service_minutes, s.points_earned) != want or s.star_level != star_level(want[0]):
                report.add("standings", volunteer_id=s.volunteer_id, kept=[s.service_minutes, s.points_earned,
                                                                           s.star_level], derived=list(want))
        per_attendance = (select(ServiceCredit.attendance_id, func.sum(ServiceCredit.minutes).label("m"),
                                 func.sum(ServiceCredit.points).label("p"))
                          .where(ServiceCredit.attendance_id.is_not(None))
                          .group_by(ServiceCredit.attendance_id).subquery())
        carried = carry.sums(carry.ATTENDANCE)
        rows = await session.execute(
            select(AttendancePosting.attendance_id, AttendancePosting.minutes, AttendancePosting.points,
                   per_attendance.c.m, per_attendance.c.p, carried.c.minutes, carried.c.points)
            .outerjoin(per_attendance, per_attendance.c.attendance_id == AttendancePosting.attendance_id)
            .outerjoin(carried, carried.c.subject == AttendancePosting.attendance_id))
        for aid, m, p, dm, dp, cm, cp in rows.all():
            derived_here = [int(dm or 0) + int(cm or 0), int(dp or 0) + int(cp or 0)]
            if [m, p] != derived_here:
                report.add("attendance_postings", attendance_id=aid, kept=[m, p], derived=derived_here)
        # The 台账 finds a scope's postings by the community and day they carry: they must be the attendance's.
        rows = await session.execute(
            select(AttendancePosting.attendance_id, AttendancePosting.community_id, AttendancePosting.service_date,
                   Attendance.community_id, Attendance.service_date)
            .join(Attendance, Attendance.id == AttendancePosting.attendance_id)
            .where(or_(AttendancePosting.community_id != Attendance.community_id,
                       AttendancePosting.service_date != Attendance.service_date)))
        for aid, pc, pd, ac, ad in rows.all():
            report.add("attendance_posting_scopes", attendance_id=aid, kept=[pc, str(pd)], derived=[ac, str(ad)])
        await _verify_request_postings(session, report)
        await verify_claim_postings(session, report, await carry.attached_from(session))
        await verify_correction_reversals(session, report)
        if db.settings.redis_url:
            await _verify_redis(db, session, derived, report)
    return report


async def _verify_balances(session: Any, report: Report) -> None:
    """Each account's balance against the sum of its entries and what detached years carried."""
    sums = select(Entry.account_id, func.sum(Entry.amount).label("total")).group_by(Entry.account_id).subquery()
    carried = carry.sums(carry.ACCOUNT)
    derived = func.coalesce(sums.c.total, 0) + func.coalesce(carried.c.amount, 0)
    rows = await session.execute(select(Account.id, Account.balance, derived)
                                 .outerjoin(sums, sums.c.account_id == Account.id)
                                 .outerjoin(carried, carried.c.subject == Account.id)
                                 .where(Account.balance != derived))
    for account_id, kept, summed in rows.all():
        report.add("account_balances", account_id=account_id, kept=int(kept), derived=int(summed))


async def _verify_month(db: Database, month: str) -> Report:
    report = Report()
    async with db.session_scope() as session:
        for check in MONTH_CHECKS:
            report.passed(check)
        await _verify_month_totals(session, report, month, db.dialect)
        stored = await session.get(MonthChecksum, month)
        if stored is not None and int(month[:4]) in await carry.detached_years(session):
            await _verify_archived(session, report, month, stored)
            return report
        await _verify_lines(session, report, lambda column: months.in_month(column, month))
        if stored is not None:
            await _verify_checksum(session, report, month, stored, deep=True)
    return report


async def _verify_month_totals(session: Any, report: Report, month: str, dialect: str) -> None:
    """The month's period and community totals against the credits for service in it (what
    `leaderboards rebuild --month` writes)."""
    derived = {(vid, period): (int(m), int(p))
               for vid, period, m, p in (await session.execute(month_credits(month, dialect))).all()}
    kept = {(vid, month): (m, p) for vid, m, p in (await session.execute(
        select(PeriodTotal.volunteer_id, PeriodTotal.minutes, PeriodTotal.points)
        .where(PeriodTotal.period == month))).all()}
    for key in sorted(set(derived) | set(kept)):
        want, have = derived.get(key, (0, 0)), kept.get(key, (0, 0))
        if want != have:
            report.add("period_totals", volunteer_id=key[0], period=month, kept=list(have), derived=list(want))
    await _verify_community_totals(session, derived, report, period=month)


async def _verify_archived(session: Any, report: Report, month: str, stored: MonthChecksum) -> None:
    """A detached month: its `_detached` tables (while the operator keeps them) against its checksum."""
    kept = months.Figures.of(stored)
    if not all([await partitions.table_exists(session, partitions.detached_name(t, month)) for t in months.LINE_TABLES]):
        report.add("month_checksums", month=month, kept=kept.sums(), derived="detached, tables no longer in the database")
        return
    derived = await detach.archived_month_sums(session, month)
    if kept.sums() != derived.sums():
        report.add("month_checksums", month=month, kept=kept.sums(), derived=derived.sums(), detached=True)


async def _verify_lines(session: Any, report: Report, when: Callable[[Any], Any]) -> None:
    """Per transaction, for the lines `when(created_at)` selects: entries sum to zero, credited points are
    the points entered on the volunteer's account, every line is stamped with its transaction's month."""
    rows = await session.execute(select(Entry.transaction_id, func.sum(Entry.amount)).where(when(Entry.created_at))
                                 .group_by(Entry.transaction_id).having(func.sum(Entry.amount) != 0))
    for txn, total in rows.all():
        report.add("transactions_balance", transaction_id=txn, sum=int(total))
    credit_pts = (select(ServiceCredit.transaction_id, ServiceCredit.volunteer_id,
                         func.sum(ServiceCredit.points).label("pts"))
                  .where(when(ServiceCredit.created_at))
                  .group_by(ServiceCredit.transaction_id, ServiceCredit.volunteer_id).subquery())
    entry_pts = (select(Entry.transaction_id, Account.owner_id, func.sum(Entry.amount).label("amt"))
                 .join(Account, and_(Account.id == Entry.account_id, Account.kind == AccountKind.VOLUNTEER))
                 .where(when(Entry.created_at), Entry.transaction_id.in_(
                     select(ServiceCredit.transaction_id).where(when(ServiceCredit.created_at))))
                 .group_by(Entry.transaction_id, Account.owner_id).subquery())
    rows = await session.execute(
        select(credit_pts.c.transaction_id, credit_pts.c.volunteer_id, credit_pts.c.pts, entry_pts.c.amt)
        .outerjoin(entry_pts, and_(entry_pts.c.transaction_id == credit_pts.c.transaction_id,
                                   entry_pts.c.owner_id == credit_pts.c.volunteer_id))
        .where(credit_pts.c.pts != func.coalesce(entry_pts.c.amt, 0)))
    for txn, vid, pts, amt in rows.all():
        report.add("earned_points", transaction_id=txn, volunteer_id=vid, credited=int(pts), entered=int(amt or 0))
    for line in (Entry, ServiceCredit):
        rows = await session.execute(
            select(line.id, line.transaction_id, line.created_at, Transaction.created_at)
            .join(Transaction, Transaction.id == line.transaction_id)
            .where(when(line.created_at), line.created_at != Transaction.created_at))
        for line_id, txn, stamped, posted in rows.all():
            report.add("line_months", table=line.__tablename__, id=line_id, transaction_id=txn,
                       kept=str(stamped), derived=str(posted))


async def _verify_checksum(session: Any, report: Report, month: str, stored: MonthChecksum, *, deep: bool) -> None:
    """A closed month against its stored checksum: counts and sums, and with `deep` the digest of every line."""
    kept = months.Figures.of(stored)
    derived = await (months.month_figures if deep else months.month_sums)(session, month)
    if kept.sums() != derived.sums() or (deep and kept.digest != derived.digest):
        report.add("month_checksums", month=month, kept=kept.sums(), derived=derived.sums(),
                   digest_differs=deep and kept.digest != derived.digest)


async def _verify_request_postings(session: Any, report: Report) -> None:
    """Each served request against its posting: the minutes and points credited, and the payer's share.

    Both ways: a request posting (`request_service`) that no request points at is a difference too.
    """
    credits = (select(ServiceCredit.transaction_id, func.sum(ServiceCredit.minutes).label("m"),
                      func.sum(ServiceCredit.points).label("p"))
               .group_by(ServiceCredit.transaction_id).subquery())
    payer = (select(Entry.transaction_id, func.sum(Entry.amount).label("paid"))
             .join(Account, Account.id == Entry.account_id)
             .where(Account.kind.in_((AccountKind.VOLUNTEER, AccountKind.POOL)), Entry.amount < 0)
             .group_by(Entry.transaction_id).subquery())
    carried, carried_paid = carry.sums(carry.REQUEST), carry.sums(carry.REQUEST_PAID)
    rows = await session.execute(
        select(ServiceRequest.id, ServiceRequest.transaction_id, ServiceRequest.posted_minutes,
               ServiceRequest.posted_points, ServiceRequest.paid_by_payer,
               func.coalesce(credits.c.m, 0) + func.coalesce(carried.c.minutes, 0),
               func.coalesce(credits.c.p, 0) + func.coalesce(carried.c.points, 0),
               func.coalesce(payer.c.paid, 0) + func.coalesce(carried_paid.c.amount, 0))
        .outerjoin(credits, credits.c.transaction_id == ServiceRequest.transaction_id)
        .outerjoin(payer, payer.c.transaction_id == ServiceRequest.transaction_id)
        .outerjoin(carried, carried.c.subject == ServiceRequest.transaction_id)
        .outerjoin(carried_paid, carried_paid.c.subject == ServiceRequest.transaction_id)
        .where(ServiceRequest.transaction_id.is_not(None)))
    for rid, txn, m, p, paid, dm, dp, dpaid in rows.all():
        derived = [int(dm), int(dp), -int(dpaid)]
        if [m, p, paid] != derived:
            report.add("request_postings", request_id=rid, transaction_id=txn, kept=[m, p, paid], derived=derived)
    orphans = await session.scalars(select(Transaction.id).where(
        Transaction.kind == REQUEST_TRANSACTION_KIND,
        Transaction.id.not_in(select(ServiceRequest.transaction_id).where(ServiceRequest.transaction_id.is_not(None)))))
    for txn in orphans.all():
        report.add("request_postings", transaction_id=txn, kept=None, derived="no request")


async def _verify_community_totals(session: Any, derived: dict[tuple[int, str], tuple[int, int]],
                                   report: Report, period: str | None = None) -> None:
    """The per-community sums against the volunteers' totals derived from the credits."""
    communities = dict((await session.execute(select(Volunteer.id, Volunteer.community_id))).all())
    want_all = community_totals.derive(derived, communities)
    have_all = await community_totals.kept(session)
    if period is not None:
        have_all = {key: figures for key, figures in have_all.items() if key[1] == period}
    for key in sorted(set(want_all) | set(have_all)):
        want, have = want_all.get(key, (0, 0, 0)), have_all.get(key, (0, 0, 0))
        if want != have:
            report.add("community_totals", community_id=key[0], period=key[1], kept=list(have), derived=list(want))


async def _verify_redis(db: Database, session: Any, derived: dict[tuple[int, str], tuple[int, int]],
                        report: Report) -> None:
    client = sync_client(db.settings.redis_url)
    # A cluster also misses the scopes of a master restarted empty (leaderboards/cluster.py).
    if (await scopes_to_rebuild(db, client))[0]:
        # Not a difference: a fresh install or a restarted Redis, refilled by the scheduler's periodic check.
        report.leaderboards = LEADERBOARDS_REBUILDING if client.exists(REBUILD_REQUESTED) else LEADERBOARDS_NOT_BUILT
        return
    report.passed("redis_leaderboards")
    scopes = await session.run_sync(lambda s: scopes_of(s, sorted({vid for vid, _ in derived})))
    expected: dict[str, dict[str, int]] = defaultdict(dict)
    # Months older than Redis keeps are read from SQL (leaderboards/retention.py): their boards are not
    # expected, and what is left of them until the hourly prune is never read.
    oldest = oldest_kept_month(db.settings)
    for (vid, period), (minutes, points) in derived.items():
        if not kept_in_redis(period, oldest):
            continue
        for scope in scopes.get(vid, ()):
            if minutes > 0:
                expected[board_key(period, scope, "hours")][member_for(vid)] = minutes
            if points > 0:
                expected[board_key(period, scope, "points")][member_for(vid)] = points
    live = {k.decode() for k in client.scan_iter(match="sb:lb:*:*:*", count=1000)}
    live = {key for key in live if kept_in_redis(key[len(KEY_PREFIX):].partition(":")[0], oldest)}
    for key in sorted(set(expected) | live):
        have = {m.decode(): int(s) for m, s in client.zrange(key, 0, -1, withscores=True)}
        if have != expected.get(key, {}):
            report.add("redis_leaderboards", key=key, kept=len(have), derived=len(expected.get(key, {})))
    report.leaderboards = "mismatch" if report.checks["redis_leaderboards"] else "ok"
