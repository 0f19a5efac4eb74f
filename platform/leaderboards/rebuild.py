"""Recreate the kept totals and the leaderboards from the ledger's service credits."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.db import Database
from servicebank.kernel.dialect import is_postgres, month_text, year_text
from servicebank.kernel.redis_clients import is_cluster, is_cluster_url, node_url
from servicebank.leaderboards.cluster import missing_scopes, scope_version_name, swap_per_slot, tagged_scope
from servicebank.leaderboards.push import (
    BUILT_MARKER,
    KEY_PREFIX,
    REBUILD_CLAIM_SECONDS,
    REBUILD_HEARTBEAT_SECONDS,
    REBUILD_REQUESTED,
    REBUILDS_RUNNING,
    VERSION_PREFIX,
    board_key,
    board_scope,
    member_for,
    member_sql,
    push_args,
    run_push,
    scope_rows,
    scopes_of,
    sync_client,
)
from servicebank.leaderboards.retention import kept_in_redis, oldest_kept_month
from servicebank.leaderboards.totals import refresh_standings, roll_up
from servicebank.ledger import carry, community_totals
from servicebank.ledger.levels import ALL_TIME
from servicebank.ledger.models import PeriodTotal, ServiceCredit

Advance = Callable[[int], None]


def period_expressions(dialect: str) -> list[Any]:
    """SQL for the month and year of a credit's service date, and the all-time period."""
    return [month_text(ServiceCredit.service_date, dialect), year_text(ServiceCredit.service_date, dialect),
            literal(ALL_TIME)]


def aggregate(expr: Any) -> Any:
    """Service minutes and points per (volunteer, period) for one period expression."""
    return (select(ServiceCredit.volunteer_id, expr.label("period"), func.sum(ServiceCredit.minutes),
                   func.sum(ServiceCredit.points))
            .group_by(ServiceCredit.volunteer_id, expr))


async def rebuild_totals(db: Database, advance: Advance | None = None) -> dict[str, int]:
    """Recompute every period total and standing from the credits; versions move past every earlier one."""
    async with db.session_scope() as session:
        if is_postgres(db):
            # Postings wait while the totals are recomputed, so none is counted twice or lost.
            await session.execute(text("LOCK TABLE ledger_period_total, ledger_volunteer_standing, "
                                       "ledger_community_period_total IN EXCLUSIVE MODE"))
        version = int(await session.scalar(select(func.coalesce(func.max(PeriodTotal.version), 0))) or 0) + 1
        await session.execute(delete(PeriodTotal))
        # One pass over the credits for the months; years and all time are summed from the month rows.
        month = period_expressions(db.dialect)[0]
        # Detached years' lines count through what they carried (ledger/carry.py).
        per_month = carry.with_carried(aggregate(month)) if await carry.any_carried(session) else aggregate(month)
        await session.execute(insert(PeriodTotal).from_select(
            ["volunteer_id", "period", "minutes", "points", "version"], per_month.add_columns(literal(version))))
        if advance:
            advance(1)
        await roll_up(session, version, advance=advance)
        await refresh_standings(session)
        # The dashboard's per-community sums follow the totals just rebuilt, in the same transaction.
        communities = await community_totals.replace_all(session)
        rows = int(await session.scalar(select(func.count()).select_from(PeriodTotal)) or 0)
    return {"period_totals": rows, "version": version, "community_totals": communities}


async def rebuild_redis(db: Database, advance: Advance | None = None, *, chunk: int = 20_000,
                        stage: Stager | None = None, scopes: Collection[str] | None = None,
                        versions: bool = True, finish: bool = True) -> int:
    """Write every leaderboard Redis keeps (retention.py) into fresh keys and swap them in.

    Returns the period totals written (with `versions`), else the board members written. At most
    `chunk` members go into one ZADD. `stage` fills the staging keys; by default PostgreSQL groups the
    boards itself (stage_in_sql) and SQLite goes row by row (stage_row_by_row). `scopes` limits the
    rebuild to those scopes' boards and `versions` says whether the version hashes are rebuilt too
    (a part of a parallel rebuild, parallel.py); `finish` marks the boards built and frees the claim.
    """
    url = db.settings.redis_url
    if not url:
        return 0
    # A cluster marks each scope it rebuilt as built (cluster.py): every scope, even one with no boards.
    marks = (scopes if scopes is not None else await current_scopes(db)) if db.settings.redis_cluster else ()
    # Registered as running before the snapshot is taken.
    staging = Staging(url, oldest=oldest_kept_month(db.settings), scopes=scopes, versions=versions, marks=marks)
    stage = stage or (stage_in_sql if is_postgres(db) else stage_row_by_row)
    # A running rebuild holds the claim, whoever asked for it, and renews it while it runs.
    heartbeat = asyncio.create_task(_keep_claim(staging))
    try:
        async with db.session_scope() as session:
            written = await stage(session, staging, advance or _ignore, chunk)
    except BaseException:
        heartbeat.cancel()
        staging.abandon()
        raise
    heartbeat.cancel()
    touched = staging.swap(finish=finish)
    await push_again(db, touched)
    return written


async def push_again(db: Database, touched: set[tuple[int, str]]) -> int:
    """Push the current totals of (volunteer, period) pairs that changed while a rebuild read its snapshot.

    The swap put the snapshot's older values over what those postings pushed; their versions are newer
    than the snapshot's, so these pushes win, and a posting pushing even later still wins over them.
    """
    if not touched:
        return 0
    async with db.session_scope() as session:
        args = await current_push(session, touched)
    run_push(sync_client(db.settings.redis_url), args)
    return len(touched)


async def current_push(session: AsyncSession, pairs: set[tuple[int, str]]) -> list[Any]:
    """The push of the kept totals of these (volunteer, period) pairs as they are now, with their versions (a
    later push still wins over it, an earlier one loses)."""
    ids = sorted({vid for vid, _ in pairs})
    latest: dict[tuple[int, str], tuple[int, int, int]] = {}
    for start in range(0, len(ids), 1000):
        rows = await session.execute(
            select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.version, PeriodTotal.minutes,
                   PeriodTotal.points).where(PeriodTotal.volunteer_id.in_(ids[start:start + 1000])))
        latest.update({(vid, period): (version, minutes, points) for vid, period, version, minutes, points in rows
                       if (vid, period) in pairs})
    scopes = await session.run_sync(lambda s: scopes_of(s, sorted({vid for vid, _ in latest})))
    return push_args(latest, scopes)


async def current_scopes(db: Database) -> list[str]:
    """Every scope somebody ranks in now, sorted."""
    scopes = scope_rows().subquery()
    async with db.session_scope() as session:
        return list((await session.scalars(select(scopes.c.scope).distinct().order_by(scopes.c.scope))).all())


async def scopes_to_rebuild(db: Database, client: Any) -> tuple[bool, list[str] | None]:
    """(whether boards are missing, which scopes: None for all).

    One Redis: all of them when the built marker is gone. A cluster also loses the scopes of a master that
    restarted empty, and has none yet for a scope new since the last rebuild: just those (cluster.py).
    """
    if not client.exists(BUILT_MARKER):
        return True, None
    if not db.settings.redis_cluster:
        return False, None
    missing = missing_scopes(client, await current_scopes(db))
    return bool(missing), missing


async def rebuild_redis_if_missing(db: Database) -> bool:
    """Refill Redis from the kept totals when its boards are not built and no rebuild is under way.

    Run by the scheduler every minute or so, and before `seed-demo` loads data: a Redis that lost its data
    (a restart without persistence, FLUSHALL) or never had any (a fresh install) gets its boards back
    without waiting for somebody to read a leaderboard. Returns whether it rebuilt.
    """
    url = db.settings.redis_url
    if not url:
        return False
    client = sync_client(url)
    missing, scopes = await scopes_to_rebuild(db, client)
    if not missing or not client.set(REBUILD_REQUESTED, "1", nx=True, ex=REBUILD_CLAIM_SECONDS):
        return False
    try:
        await rebuild_redis(db, scopes=scopes)  # its swap sets the marker and clears the claim
    except BaseException:
        client.delete(REBUILD_REQUESTED)  # the next check tries again
        raise
    return True


def _ignore(_: int) -> None:
    pass


async def _keep_claim(staging: Staging) -> None:
    """Renew the claim and the alive mark until cancelled (a killed process stops renewing them)."""
    while True:
        try:
            staging.renew()
        except Exception:  # noqa: BLE001 - Redis away: the rebuild itself fails on its next write
            pass
        await asyncio.sleep(REBUILD_HEARTBEAT_SECONDS)


class Staging:
    """Fresh keys under a random prefix; swap() puts them in place of the live ones all at once."""

    def __init__(self, url: str, *, oldest: str | None = None, scopes: Collection[str] | None = None,
                 versions: bool = True, marks: Collection[str] = ()) -> None:
        self.url = url
        self.oldest = oldest  # months before it are not kept in Redis (retention.py)
        self.scopes = frozenset(scopes) if scopes is not None else None  # None: every scope
        self.versions = versions
        self.client = sync_client(url)
        # On a cluster each scope has its own version hashes, rebuilt with its boards whatever `versions`
        # says, and its own built mark, set for `marks` (cluster.py).
        self.cluster = is_cluster(self.client)
        self.marks = marks
        self.prefix = f"sb:lbtmp:{uuid.uuid4().hex[:8]}:"
        self.names: set[str] = set()
        # From here on every push notes what it changed in this rebuild's touched set (see push.py).
        self.renew()
        self.client.sadd(REBUILDS_RUNNING, self.prefix)

    def renew(self) -> None:
        """This rebuild is alive and holds the claim, for REBUILD_CLAIM_SECONDS more."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.prefix + "alive", "1", ex=REBUILD_CLAIM_SECONDS)
        pipe.set(REBUILD_REQUESTED, "1", ex=REBUILD_CLAIM_SECONDS)
        pipe.execute()

    def abandon(self) -> None:
        """Forget a failed rebuild: its staging keys, its touched set and its claim (the next check retries)."""
        self.client.srem(REBUILDS_RUNNING, self.prefix)
        self.client.delete(REBUILD_REQUESTED)
        names = [self.prefix + n for n in self.names] + [self.prefix + "alive", self.prefix + "touched"]
        self.client.unlink(*names)

    def keeps(self, period: str) -> bool:
        return self.oldest is None or kept_in_redis(period, self.oldest)

    def covers(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def _replaces(self, live_key: str) -> bool:
        """Whether a live key is this rebuild's to replace or delete: its scopes' boards, and the version hashes."""
        if live_key.startswith(VERSION_PREFIX):
            scope = tagged_scope(live_key)
            return self.versions if scope is None else self.covers(scope)
        if live_key in (BUILT_MARKER, REBUILD_REQUESTED):
            return False
        return self.covers(board_scope(live_key))

    def key(self, name: str) -> str:
        """The staging key of a board ("2026-11:{city}:hours") or of a period's versions ("v:2026-11"; on a
        cluster per scope, "v:2026-11:{city}")."""
        self.names.add(name)
        return self.prefix + name

    def swap(self, *, finish: bool = True) -> set[tuple[int, str]]:
        """Put the staged boards live; returns the (volunteer, period) pairs pushed while they were staged.

        Live boards of the covered scopes that were not staged (emptied, or a month no longer kept) go.
        """
        client = self.client
        live = {k.decode() for k in client.scan_iter(match=f"{KEY_PREFIX}*", count=1000)}
        live |= {k.decode() for k in client.scan_iter(match=f"{VERSION_PREFIX}*", count=1000)}
        live = {key for key in live if self._replaces(key)}
        if self.cluster:
            renames = {self.prefix + name: self._target(name) for name in self.names}
            touched = swap_per_slot(client, self.prefix, renames, live - set(renames.values()), self.marks,
                                    finish=finish)
            return _touched_pairs(touched)
        pipe = client.pipeline(transaction=True)
        targets = set()
        # RENAME onto a live key, or DEL, frees the old board in the server's one thread, inside the
        # MULTI: about 6 s for a whole city's boards, every client waiting. UNLINK frees it in the
        # background; inside the MULTI readers still never see a board missing.
        for name in self.names:
            target = self._target(name)
            pipe.unlink(target)
            pipe.rename(self.prefix + name, target)
            targets.add(target)
        for stale in live - targets:
            pipe.unlink(stale)
        if finish:
            pipe.set(BUILT_MARKER, "1")
            pipe.delete(REBUILD_REQUESTED)
        # No push notes anything for this rebuild after the swap: later pushes land on the new boards.
        pipe.srem(REBUILDS_RUNNING, self.prefix)
        pipe.unlink(self.prefix + "alive")
        pipe.smembers(self.prefix + "touched")
        pipe.unlink(self.prefix + "touched")
        return _touched_pairs(item.decode() for item in pipe.execute()[-2])

    @staticmethod
    def _target(name: str) -> str:
        return VERSION_PREFIX + name[2:] if name.startswith("v:") else KEY_PREFIX + name


def _touched_pairs(notes: Iterable[str]) -> set[tuple[int, str]]:
    """(volunteer, period) of each "period|volunteer" note."""
    pairs = set()
    for note in notes:
        period, vid = note.split("|")
        pairs.add((int(vid), period))
    return pairs


Stager = Callable[[AsyncSession, Staging, Advance, int], Awaitable[int]]


async def stage_row_by_row(session: AsyncSession, staging: Staging, advance: Advance, chunk: int) -> int:
    """Every board from the period totals, `chunk` rows at a time, sorted into boards in Python."""
    ids = list((await session.scalars(select(PeriodTotal.volunteer_id).distinct())).all())
    scopes: dict[int, list[str]] = {}
    for start in range(0, len(ids), 5000):
        scopes.update(await session.run_sync(scopes_of, ids[start:start + 5000]))
    result = await session.stream(select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.minutes,
                                         PeriodTotal.points, PeriodTotal.version)
                                  .execution_options(yield_per=chunk))
    written = 0
    async for part in result.partitions(chunk):
        boards: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        versions: dict[str, dict[int, int]] = defaultdict(dict)
        for vid, period, minutes, points, version in part:
            if not staging.keeps(period):
                continue
            if staging.versions and not staging.cluster:
                versions[period][vid] = version
            member = member_for(vid)
            for scope in filter(staging.covers, scopes.get(vid, ())):
                if staging.cluster:
                    versions[scope_version_name(period, scope)][vid] = version
                if minutes > 0:
                    boards[(period, scope, "hours")][member] = minutes
                if points > 0:
                    boards[(period, scope, "points")][member] = points
        pipe = staging.client.pipeline(transaction=False)
        for (period, scope, by), members in boards.items():
            pipe.zadd(staging.key(board_key(period, scope, by)[len(KEY_PREFIX):]), members)
        for period, per in versions.items():
            pipe.hset(staging.key(f"v:{period}"), mapping=per)
        pipe.execute()
        n = sum(map(len, versions.values())) if staging.versions and not staging.cluster else sum(
            map(len, boards.values()))
        written += n
        advance(n)
    return written


# Each volunteer's scopes (scope_rows) with the volunteer's member already encoded, numbered within the
# scope in slices of `chunk` volunteers: one slice of one board is one ZADD. Built once per rebuild, then
# joined to each period's totals.
_PLACES = Table("lb_rebuild_place", MetaData(), Column("volunteer_id", BigInteger), Column("scope", String),
                Column("slice", BigInteger), Column("member", Text), prefixes=["TEMPORARY"],
                postgresql_on_commit="DROP")


async def stage_in_sql(session: AsyncSession, staging: Staging, advance: Advance, chunk: int) -> int:
    """Every board grouped by PostgreSQL, a period at a time, into ready-encoded ZADD and HSET arguments.

    Python only frames each command and writes it to Redis: no per-member work (that loop and
    redis-py's command packing took most of the time at a million volunteers).
    """
    # One snapshot for every query, as the single stream of stage_row_by_row has.
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    # The per-period grouping holds a period's encoded members (~100 MB at a million volunteers):
    # in memory rather than spilled to disk in batches.
    await session.execute(text("SET LOCAL work_mem = '256MB'"))
    placing = staging.scopes is None or bool(staging.scopes)  # no scopes: only the version hashes
    if placing:
        await _place_volunteers(session, chunk, staging.scopes)
    periods = (await session.scalars(select(PeriodTotal.period).distinct().order_by(PeriodTotal.period))).all()
    written = 0
    # What is counted: the period totals when the version hashes are rebuilt, else the board members (as
    # on a cluster, where each scope has version hashes of its own).
    per_board = not staging.versions or staging.cluster
    async with packed_writer(staging.url) as writer:
        for period in filter(staging.keeps, periods):
            if placing:
                async for scope, hours, n_hours, points, n_points in await session.stream(_boards(period)):
                    for by, body, n in (("hours", hours, n_hours), ("points", points, n_points)):
                        if n:
                            await writer.send("ZADD", staging.key(board_key(period, scope, by)[len(KEY_PREFIX):]), n,
                                              body)
                            if per_board:
                                written += n
                                advance(n)
            if staging.cluster and placing:
                async for scope, body, n in await session.stream(_scope_versions(period)):
                    await writer.send("HSET", staging.key("v:" + scope_version_name(period, scope)), n, body)
            if per_board:
                continue
            async for body, n in await session.stream(_versions(period, chunk)):
                await writer.send("HSET", staging.key(f"v:{period}"), n, body)
                written += n
                advance(n)
    return written


async def _place_volunteers(session: AsyncSession, chunk: int, only: Collection[str] | None) -> None:
    scopes = scope_rows().subquery()
    chosen = select(scopes).where(scopes.c.scope.in_(sorted(only))) if only is not None else select(scopes)
    scopes = chosen.subquery()
    sliced = (func.row_number().over(partition_by=scopes.c.scope) - 1) // chunk
    member = _bulk(member_sql(scopes.c.volunteer_id))
    await session.run_sync(lambda s: _PLACES.create(s.connection()))
    await session.execute(insert(_PLACES).from_select(["volunteer_id", "scope", "slice", "member"],
                                                      select(scopes.c.volunteer_id, scopes.c.scope, sliced, member)))
    await session.execute(text(f"ANALYZE {_PLACES.name}"))  # a fresh table has no statistics for the planner


def _bulk(value: Any) -> Any:
    """A number or id as a RESP bulk string: $<length> CRLF <digits> CRLF.

    concat() builds it in one step (a chain of || copies the text at every step); digits only, so
    characters are bytes.
    """
    return func.concat("$", func.length(cast(value, Text)), "\r\n", value, "\r\n")


def _aggregated(encoded: Any, where: Any = None) -> tuple[Any, Any]:
    """The encoded arguments of a group joined into one string, and how many there are."""
    joined, count = func.string_agg(encoded, literal_column("''")), func.count()
    return (joined, count) if where is None else (joined.filter(where), count.filter(where))


def _boards(period: str) -> Any:
    """Per scope and slice: the (score, member) arguments of the hours board and of the points board."""
    # Scores are encoded once per total, before the join repeats each total for its three or four scopes.
    totals = select(PeriodTotal.volunteer_id, PeriodTotal.minutes, PeriodTotal.points,
                    _bulk(PeriodTotal.minutes).label("hours_score"), _bulk(PeriodTotal.points).label("points_score")
                    ).where(PeriodTotal.period == period).subquery()
    return (select(_PLACES.c.scope,
                   *_aggregated(totals.c.hours_score + _PLACES.c.member, totals.c.minutes > 0),
                   *_aggregated(totals.c.points_score + _PLACES.c.member, totals.c.points > 0))
            .join_from(totals, _PLACES, _PLACES.c.volunteer_id == totals.c.volunteer_id)
            .group_by(_PLACES.c.scope, _PLACES.c.slice))


def _scope_versions(period: str) -> Any:
    """Per scope and slice: the (volunteer id, version) arguments of the scope's own version hash (a cluster's)."""
    totals = select(PeriodTotal.volunteer_id, func.concat(_bulk(PeriodTotal.volunteer_id), _bulk(PeriodTotal.version))
                    .label("pair")).where(PeriodTotal.period == period).subquery()
    return (select(_PLACES.c.scope, *_aggregated(totals.c.pair))
            .join_from(totals, _PLACES, _PLACES.c.volunteer_id == totals.c.volunteer_id)
            .group_by(_PLACES.c.scope, _PLACES.c.slice))


def _versions(period: str, chunk: int) -> Any:
    """The (volunteer id, version) arguments of a period, at most `chunk` to a group (ids are unique per period)."""
    return (select(*_aggregated(_bulk(PeriodTotal.volunteer_id) + _bulk(PeriodTotal.version)))
            .where(PeriodTotal.period == period).group_by(PeriodTotal.volunteer_id // chunk))


class PackedWriter:
    """Commands whose argument pairs SQL already encoded, written to Redis by a task of their own.

    Commands are handed over in batches of about BATCH bytes, up to DEPTH batches ahead, so Redis
    works through the boards already grouped while PostgreSQL groups the next period (~32 MB:
    a second or two of Redis's work). The first error reply fails the rebuild.
    """

    BATCH = 1 << 20
    DEPTH = 32

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(url, socket_timeout=60)
        self.queue: asyncio.Queue[tuple[list[bytes], int] | None] = asyncio.Queue(self.DEPTH)
        self.batch: list[bytes] = []
        self.size = 0
        self.error: BaseException | None = None
        self.task = asyncio.create_task(self._write())

    async def send(self, command: str, key: str, pairs: int, body: str) -> None:
        if self.error is not None:
            raise self.error
        name = key.encode()
        self.batch += [b"*%d\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (2 + 2 * pairs, len(command), command.encode(),
                                                                   len(name), name), body.encode()]
        self.size += len(self.batch[-1])
        if self.size >= self.BATCH:
            await self._hand_over()

    async def close(self) -> None:
        """Wait until every command is written and answered; raise the first error."""
        await self._hand_over()
        await self.queue.put(None)
        await self.task
        await self.client.aclose()
        if self.error is not None:
            raise self.error

    async def abandon(self) -> None:
        """Stop writing (the rebuild failed: its staging keys are never swapped in)."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.client.aclose()

    async def _hand_over(self) -> None:
        if self.batch:
            await self.queue.put((self.batch, len(self.batch) // 2))
            self.batch, self.size = [], 0

    async def _write(self) -> None:
        pool = self.client.connection_pool
        connection = await pool.get_connection()
        item: tuple[list[bytes], int] | None = ([], 0)
        unread = 0
        try:
            while (item := await self.queue.get()) is not None:
                batch, commands = item
                await connection.send_packed_command(batch, check_health=False)
                # The replies to the batch before: Redis has this one to work on meanwhile.
                for _ in range(unread):
                    await connection.read_response()
                unread = commands
            for _ in range(unread):
                await connection.read_response()
        except Exception as exc:  # noqa: BLE001 - handed to the sender, which raises it
            self.error = exc
            await connection.disconnect()  # replies may be left unread: never hand the connection back as it is
            while item is not None:
                item = await self.queue.get()  # take everything up to the end, so no sender waits on a full queue
        finally:
            await pool.release(connection)


class RoutedWriter:
    """PackedWriter for a Redis Cluster: one per master, each command handed to the master of its key's slot."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cluster = sync_client(url)
        self.writers: dict[str, PackedWriter] = {}

    async def send(self, command: str, key: str, pairs: int, body: str) -> None:
        node = self.cluster.get_node_from_key(key)
        writer = self.writers.get(node.name)
        if writer is None:
            writer = self.writers[node.name] = PackedWriter(node_url(self.url, node.host, node.port))
        await writer.send(command, key, pairs, body)

    async def close(self) -> None:
        """Every master's commands written and answered; the first error raised once all are closed."""
        errors = []
        for writer in self.writers.values():
            try:
                await writer.close()
            except Exception as exc:  # noqa: BLE001 - raised below
                errors.append(exc)
        if errors:
            raise errors[0]

    async def abandon(self) -> None:
        for writer in self.writers.values():
            await writer.abandon()


@contextlib.asynccontextmanager
async def packed_writer(url: str) -> AsyncIterator[PackedWriter | RoutedWriter]:
    writer = RoutedWriter(url) if is_cluster_url(url) else PackedWriter(url)
    try:
        yield writer
    except BaseException:
        await writer.abandon()
        raise
    await writer.close()


async def rebuild_leaderboards(db: Database, advance: Advance | None = None) -> dict[str, int]:
    """Totals first, then Redis (when configured) from those totals."""
    summary = await rebuild_totals(db, advance)
    summary["redis_members"] = await rebuild_redis(db, advance)
    return summary
