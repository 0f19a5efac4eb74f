"""The fixed text of docs/benchmarks.md around the generated figures."""

INTRO = """# Benchmarks

Every figure here was measured on this project's reference machine (2 cores, shared with other
test runs while measuring); compare ratios to the baselines measured in the same run, not absolute
numbers across runs. Loopback only: every server is a throwaway one on 127.0.0.1.

## The harness

    python -m bench.run --scenario all --size full     # load ~18 min on 2 cores, then scenarios ~4 min
    python -m bench.run --scenario festival --size small --json
    python -m bench.report                              # rewrite this page from the saved results

- `bench/city.py` loads a city with PostgreSQL COPY (full: 1,000,000 volunteers, 400 communities,
  20 streets, 4,000 teams, six months of history, 5,000,000 approved attendances posted as
  10,000,000 ledger entries). Balances are summed from the generated entries; attendance postings,
  period totals, standings and the Redis leaderboards are derived from the stored credits by SQL
  and by `points.rebuild`, so `servicebank ledger verify` passes (tests/bench checks it).
- `bench/festival.py`: the check-in and check-out waves with background reads, the lag until points
  show, and peak memory of the API and worker processes.
- `bench/reads.py`: the city-size reads, each next to a bare Litestar GET on the same server.
- Baselines (`bench/apps.py`): `GET /bench/hello` (bare handler) and `POST /bench/baseline` (one ORM
  insert in the request transaction), served by the same process as the application.
- Results: `bench/results/<size>.json`; `tests/bench` runs the whole harness at a tiny size.
"""

READING = """## Reading the figures (full run of 2026-11-23)

- **Festival: errors 0**, all 2,000 check-ins answered 201 and all 2,000 check-outs were approved
  and posted. Points reach the ledger a p50 of 6.5 s / p99 of 10.6 s after a check-out while
  33 check-outs/s arrive, and every volunteer is on the public leaderboards 5-6 s after the last
  check-out: the worker keeps up with the festival's rate. (The festival's clock: check-ins are
  moved back two hours in the database between the waves; the activity window counted 60 minutes
  of each in this run, 120,000 minutes in all; the code now opens the window three hours earlier,
  so later runs count two hours each.)
- **Check-in p99 missed**: 8.0 s (max 13.2 s) against a one-insert baseline p99 of 0.6 s at the
  same rate, while the check-out wave of the same size, minutes later on the same server, had a
  p99 of 287 ms. Every background read had a p99 of 5-7 s in the same window, so this was a stall
  of the whole server, not of the check-in path. Likely cause, not yet confirmed: the run starts
  right after COPYing 26 million rows, and autovacuum/analyze of those tables (plus other
  engineers' test suites: load average 5-6 on 2 cores) competed with the first wave. To confirm,
  rerun with `VACUUM ANALYZE` after the load, and look at the check-in latency per second of the wave.
- **Memory met**: API peak 146 MB, worker peak 84 MB (target 300 MB each).
- **City reads**: the volunteer account (p99 66 ms) and own rank (49 ms) meet the 100 ms target
  on 1,000,000 volunteers. **Missed**: community leaderboard top 100 (p99 118 ms, p50 48 ms) and
  city top 100 + own rank (166 ms), both served from Redis (the rebuild had set its marker): the
  sorted-set work is O(log n), so the time is likely the volunteer-name lookup for 100 rows and the
  response itself, not yet profiled. The bare-GET baseline itself had a p99 of 97 ms in this run,
  which shows how noisy the shared machine was. The community dashboard (HTML, p99 557 ms,
  p50 256 ms) and the monthly 台账 (p99 901 ms, p50 186 ms) aggregate the community's records on
  every request (the dashboard: period totals of about 2,500 volunteers over six months plus the
  activities of the last year; the 台账: about 2,000 approved attendances in the month and again
  for the same month last year). Neither is cached. Pre-aggregated per-community month figures
  (written by the points posting, like the period totals), or a short cache, should bring both
  under the target. No missing index was confirmed (EXPLAIN was not run on the full data).
- **Loading the city** takes 18 minutes on this machine: COPY 292 s, indexes and attendance
  postings 245 s, `rebuild_totals` 152 s, and `rebuild_redis` 383 s for 4.2 million totals into
  19,546 sorted sets, **3.0 GB of Redis memory**. The scenarios themselves took 224 s (festival 169 s,
  reads 55 s), within the 10-minute budget. Profiled at the small size without `hiredis`, 16 of
  24.5 s of `rebuild_redis` went to redis-py's pure-Python command packing. The full run had
  `hiredis` installed and still took 383 s, so at full size the per-member Python loop in
  `rebuild_redis` and about 25 million ZADD members now take most of the time.

See docs/scale.md for what these numbers mean for a province of 10 million volunteers.
"""
