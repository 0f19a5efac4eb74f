"""Property: whatever sequence of attendances, decisions, transfers, reversals and re-deliveries happens,
the ledger sums to zero, balances equal their entries, totals and leaderboards equal the ledger, and every
volunteer's service time is exactly what the rules make of their approved attendances."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel import events
from servicebank.kernel.db import Database
from servicebank.kernel.errors import DomainError
from servicebank.kernel.events import OutboxEvent, record_event
from servicebank.ledger import transactions as ledger
from servicebank.ledger.models import VolunteerStanding
from servicebank.ledger.rules import BUILTIN
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_volunteer
from tests.ledger.helpers import attend, decide, make_activity

VOLUNTEERS = 3
_keys = itertools.count()

op = st.one_of(
    st.tuples(st.just("attend"), st.integers(0, VOLUNTEERS - 1), st.integers(0, 300), st.booleans()),
    st.tuples(st.just("decide"), st.integers(0, 50), st.sampled_from(["approve", "adjust", "decline"]),
              st.integers(0, 300)),
    st.tuples(st.just("transfer"), st.integers(0, VOLUNTEERS - 1), st.integers(0, VOLUNTEERS - 1),
              st.integers(1, 200)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("redeliver"), st.integers(0, 50)),
    st.tuples(st.just("drain")),
)


# max_examples comes from the Hypothesis profile (tests/conftest.py): a few locally, many under CI.
@settings(deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=3, max_size=18))
async def test_ledger_invariants_hold_for_any_history(db: Database, ops) -> None:  # noqa: ANN001
    async with db.sessionmaker() as session:
        await _play(db, session, ops)


async def _play(db: Database, session, ops) -> None:  # noqa: ANN001
    org = await make_org(session)
    vols = [await make_volunteer(session, org.community) for _ in range(VOLUNTEERS)]
    attendances, transfers = [], []
    for step in ops:
        if step[0] == "attend":
            _, who, minutes, approved = step
            status = AttendanceStatus.APPROVED if approved else AttendanceStatus.CHECKED_OUT
            day = dt.date(2026, 11, 1 + len(attendances) % 28)
            activity = await make_activity(session, org.community, hours=6)
            att = await attend(session, activity, vols[who], minutes=minutes, status=status, service_date=day,
                               event="attendance.approved" if approved else None)
            attendances.append(att)
        elif step[0] == "decide" and attendances:
            _, n, action, minutes = step
            att = attendances[n % len(attendances)]
            if action == "decline":
                await decide(session, att, status=AttendanceStatus.DECLINED, event="attendance.declined")
            else:
                await decide(session, att, status=AttendanceStatus.APPROVED, minutes=minutes,
                             event=f"attendance.{'approved' if action == 'approve' else 'adjusted'}")
        elif step[0] == "transfer":
            _, src, dst, amount = step
            if src == dst:
                continue
            async with db.session_scope() as s:
                payer = await ledger.volunteer_account(s, vols[src].id)
                payee = await ledger.volunteer_account(s, vols[dst].id)
                try:
                    async with s.begin_nested():
                        txn = await ledger.spend(s, from_account_id=payer.id, to_account_id=payee.id, amount=amount,
                                                 source_key=f"prop:{next(_keys)}", kind="transfer")
                    transfers.append(txn.id)
                except DomainError as exc:
                    assert exc.code == "insufficient_balance"
        elif step[0] == "reverse" and transfers:
            async with db.session_scope() as s:
                try:
                    async with s.begin_nested():
                        await ledger.reverse(s, transaction_id=transfers[step[1] % len(transfers)],
                                             source_key=f"rev:{next(_keys)}")
                except DomainError as exc:
                    assert exc.code == "already_reversed"
        elif step[0] == "redeliver":
            async with db.session_scope() as s:
                done = list((await s.scalars(select(OutboxEvent).where(
                    OutboxEvent.type.like("attendance.%")))).all())
                if done:
                    ev = done[step[1] % len(done)]
                    await record_event(s, ev.type, dict(ev.payload))
            await events.process_events(db, [e.id for e in done])
        elif step[0] == "drain":
            await events.drain(db)
    await events.drain(db)
    report = await verify(db)
    assert report.ok, report.as_dict()
    expected = {v.id: 0 for v in vols}
    for att in attendances:
        await session.refresh(att)
        if att.status == AttendanceStatus.APPROVED:
            expected[att.volunteer_id] += BUILTIN.minutes_for(att.served_minutes)  # caps never bind at <= 5 h
    await session.commit()  # release the connection (SQLite has one)
    async with db.session_scope() as s:
        kept = {r.volunteer_id: r.service_minutes for r in (await s.scalars(select(VolunteerStanding))).all()}
    assert {v: kept.get(v, 0) for v in expected} == expected
