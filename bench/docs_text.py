"""The fixed text of docs/benchmarks.md around the generated figures."""

INTRO = """# Benchmarks

Every figure here was measured on this project's reference machine (2 cores, shared with other
test runs while measuring); compare ratios to the baselines measured in the same run, not absolute
numbers across runs. Loopback only: every server is a throwaway one on 127.0.0.1.

## The harness

    python -m bench.run --scenario all --size full     # 8 min on 2 cores: load ~5 min, scenarios ~3 min
    python -m bench.run --scenario festival --size small --json
    python -m bench.run --scenario festival --size small --festival full   # the full festival, small city
    python -m bench.run --scenario city --size full --replica --redis-cluster   # the scale-out topology
    python -m bench.run --scenario festival --size small --festival full --window 15   # arriving 4x as fast
    python -m bench.report                              # rewrite this page from the saved results

- `bench/city.py` loads a city with PostgreSQL COPY (full: 1,000,000 volunteers, 400 communities,
  20 streets, 4,000 teams, six months of history, 5,000,000 approved attendances posted as
  10,000,000 ledger entries). Balances are summed from the generated entries; attendance postings,
  period totals, standings and the Redis leaderboards are derived from the stored credits by SQL
  and by `leaderboards.rebuild`, so `servicebank ledger verify` passes (tests/bench checks it).
- `bench/festival.py`: the check-in and check-out waves with background reads, the lag until points
  show, and peak memory of the API and worker processes.
- `bench/reads.py`: the city-size reads, each next to a bare Litestar GET on the same server.
- Baselines (`bench/apps.py`): `GET /bench/hello` (bare handler) and `POST /bench/baseline` (one ORM
  insert in the request transaction), served by the same process as the application.
- `--replica` copies the loaded city to a streaming replica (`pg_basebackup -R`) that serves the read-only pages
  and reports (`SERVICEBANK_DATABASE_REPLICA_URL`), its CPU reported beside the primary's; `--redis-cluster` puts
  the boards and the queue on a 3-master Redis Cluster. The summary says which pieces ran, the ledger's month
  partitions included; such runs are kept in `bench/results/<size>-scaleout.json`, not on this page.
- Results: `bench/results/<size>.json`; `tests/bench` runs the whole harness at a tiny size, and the city reads on
  the scale-out topology.
"""

GOALS = """## Issue 18's goals, as re-measured on 2026-12-06 (second to fourth passes)

Each figure is a ratio to a baseline run interleaved with it in the same run, on the same servers; the
client's CPU per request is in each benchmark's table next to the servers' (wrk 0.03–0.06 ms per read,
the lean client 0.4 ms per scan, against 0.2–1.8 ms of API CPU): the server, not the client, was measured.
The machine's 2 cores were shared with three other helpers' work (load average 9–23), so every figure is a
range over rounds; CPU per request moves least.

| goal | measured | met? | where |
|---|---|---|---|
| leaderboard top-100 ÷ bare GET ≥ 0.5 | 0.54–1.13x over two runs of three rounds (third pass) | yes | bench/reads.md |
| public honour list ÷ bare GET ≥ 0.3 | 0.35–1.09x over two runs (third pass) | yes | bench/reads.md |
| public community page ÷ bare GET ≥ 0.3 | 0.37–0.98x in four rounds of six, 0.17–0.25x in two (load spikes that moved every endpoint of their round) | yes, but for the spikes | bench/reads.md |
| volunteer account ÷ bare GET ≥ 0.3 | third pass (login kept per process): 0.17–0.46x over two runs, median 0.21–0.22; API CPU 0.63–0.78 ms, PostgreSQL 0.24–0.30 (second pass 0.17–0.35x, API 0.95 ms) | no (one round in each run) | bench/reads.md |
| own rank ÷ bare GET ≥ 0.3 | third pass (no database read left: login kept, names kept a second): 0.15–0.33x over two runs, median 0.17–0.18; PostgreSQL CPU 0.04–0.10 ms per request, was 0.24–0.50; API CPU 0.80 ms at load 6–8 (0.88 before in the same conditions) | no (one round of six) | bench/reads.md |
| web check-in API CPU ÷ API check-in ≤ 1.2 | 1.19–1.48 over six rounds (was 2.44–2.63); 1.23–1.37 in the third pass; 1.21–1.42 on a quiet machine after the night's merges (three rounds) | no (one round of nine) | bench/checkin.md |
| check-out req/s ÷ one-insert endpoint ≥ 1.0 | one statement (third pass): 1.00, 2.00, 1.14 (API CPU 0.79x the baseline's); two statements before: 0.69–1.19; quiet machine after the merges: 1.28, 1.32, 1.37 | yes in the last run, all three rounds | bench/checkin.md |
| tally ÷ one-insert actor ≥ 3.0; ≥ 2,000 events/s (third pass, evening) | 3.43–4.12x; 1,547–1,938 events/s with one worker process, 2,289–2,412 with two | yes; the 2,000 with two processes | bench/points.md |
| steady 1,000 events/s: lag p99 < 1 s (third pass) | 355 ms (one process), 1,065 ms (two, load average 9) | once of two runs | bench/points.md |
| worker CPU per posted attendance ≤ 2 ms (third pass; fourth pass under the festival's wave) | 0.25–0.31 ms in batches, 0.65–0.69 ms under the steady stream; under the festival's check-out wave at 4x 1.96, 2.07 and 2.88 ms (was 11.0) | in the benches yes; in the festival one run of three | bench/points.md |
| festival 4x: 2,000 volunteers arriving in 15 s, one API process + one worker: 0 errors, check-in p99 < 100 ms, points on the boards < 5 s after the last check-out (fourth pass, load average 6.1–10.4) | two runs: 0 errors in both waves (third pass: 258 of 2,000 check-outs), each wave 15.0 s; check-in p99 407 and 596 ms, check-out p99 2,343 and 341 ms; on the boards 0.7 and 0.8 s after the last check-out (all posted after 0.4–0.5 s) | errors and points: yes, in both runs and in three more on a quiet machine (boards 0.2 s after the last check-out); check-in p99: no (182–221 ms on the quiet machine, where the bare GET's p99 was 2.0–2.3 ms: cause not found, below) | below, bench/checkin.md |
| festival at the default window (2,000 in 60 s), same goals (fourth pass, load average 7.0–10.4) | 0 errors in both waves; check-in p99 400 ms (bare GET 60 ms), check-out p99 1,867 ms; on the boards 1.0 s after the last check-out | errors and points: yes; check-in p99: no | bench/checkin.md |

Why the misses: own rank and the account are per-person reads. Since the third pass own rank reads no database
and the account only its own rows, but one API process on one core answers them, so the ratio follows its CPU
per request: 0.8 ms for own rank (Litestar's dependency work for the route, the Redis call through redis-py,
eleven rows) and 0.6–0.8 for the account (its read's round trip through asyncpg) against 0.18–0.21 for the bare
GET; the web check-in's remaining 0.35 ms over the API is the page itself
(form, CSRF, template). What would meet each is written under its benchmark. The tally rows come from a third
pass the same evening: its bench had measured its own artefacts (the same 500 volunteers in every batch, tables
without statistics) as much as the tally; bench/points.md says what each change was worth, the bench's included.

**Festival at 4x** (`python -m bench.run --scenario festival --size small --festival full --window 15`,
2026-12-06 night, fourth pass, load average 6.1–10.4 from other helpers' work): both waves keep up with 0 errors
and the boards show everyone 0.7–0.8 s after the last check-out; the check-in p99 (407 and 596 ms) misses 100 ms
on a machine where the bare GET's own p99 at that rate was 58 and 134 ms. What changed since the third pass, when the
check-out wave could not keep up (22.8 ms of CPU per check-out across the processes; 258 errors): the one statement
approves an auto-approving kind's check-out itself, with its history row and its `attendance.approved` event
(the general path's rows, compared column by column in tests/checkins/test_fast_check_out.py); its UPDATE takes
the record by its key (it walked every open record through the status index: 4–15 ms in the wave); the API
gathers the event ids its requests commit for 50 ms and sends them as one message from a thread instead of a
Redis round trip on the event loop per check-out; the worker runs one dispatch batch at a time per process, the
next taking along what arrived meanwhile, and the training consumer takes a batch with one query instead of one
per attendance. CPU per check-out in the final runs, which moves least with the load (API / worker / PostgreSQL /
client): 2.36–2.43 / 2.07–2.88 / 1.55–2.12 / 0.39–0.43 ms, 6.6–6.9 ms across the servers (22.2 in the third pass,
13.2 in this pass's first run, at load 12–16); a check-in costs 2.0–2.4 / 0.2 / 0.7–0.9 ms. At the default 60 s window the per-scan figures are higher
(API 4.47, worker 8.72, PostgreSQL 2.54): the same background reads and the worker's idle polling are spread over
four times as long, and at 33 check-outs a second the worker's batches hold a few events each. What would meet
the check-in p99 on this machine: nothing left in the check-in itself (one statement, 0.7–0.9 ms of PostgreSQL
CPU, 2.0–2.5 of API CPU with the background reads); its tail was then put down to the run queue of two cores shared
at load 7–10. **A quiet machine says otherwise** (after the merge, 2026-12-06 23:10–23:17, load average 0.4–0.8 at
the start, three runs at 4x): 0 errors in both waves, every volunteer on the boards 0.2 s after the last check-out,
check-out p99 10–17 ms, but check-in p99 182, 183 and 221 ms (p50 2.7–3.9 ms; the bare GET's p99 2.0–2.3 ms). So
about 1% of the first wave's check-ins wait some 200 ms, and the check-out wave right after does not. Two guesses were
tried and withdrawn, as neither moved it: opening the API's database connections before the first request, and
building the check-in's statement (60 ms of CPU the first time) at start-up. The cause is not found yet; the next
step is timing each check-in of the wave against the server's log (request ids) to see whether the slow ones come
together (one stall) or spread out.
Withdrawn: the first run of this study drove the API with httpx, which could not send even the bare GET at 133 a
second (75 a second, p50 13.8 s); the harness now uses the lean client (`bench/rawhttp.LeanPool`, 0.4–0.6 ms of
CPU per scan, reported next to the servers').
"""

READING = """## Reading the figures (full run of 2026-11-23, quiet machine)

- **Every target met in one 8-minute run** (load 290 s, scenarios 174 s): festival errors 0, every
  city read's p99 under 100 ms on 1,000,000 volunteers, peak memory 143 MB (API) and 87 MB
  (worker) against 300 MB.
- **Festival**: check-in p99 16.9 ms (1.9x the one-insert baseline at the same rate), check-out
  p99 33.7 ms (3.8x: a check-out of this kind also approves the record, writes its history and two
  events). Points reach the ledger a p99 of 0.4 s after a check-out and every volunteer is on the
  public leaderboards 0.3 s after the last one.
- **Who works during a wave** (CPU per scan, the new line above): at check-in the API spends
  5.2 ms per scan including the background reads, the worker 5.4, PostgreSQL 1.6; at check-out
  the worker spends 22.5 ms per scan posting hours and points, the API 9.4, PostgreSQL 4.9. On two
  cores the check-out wave therefore needs about 1.2 cores at 33 scans/s. That is why it was the
  wave that stalled (p99 10 to 52 s, kiosk codes expiring in the queue) in earlier runs that shared
  the machine with test suites at load average 5: it had no spare core to lose. In production the
  worker runs as its own process, on its own cores or machines (docs/deploy.md).
- **City reads**: the table above was driven by httpx and is withdrawn (the client, not the server,
  set the pace). The lean-client run at full size (bench/reads.md, 2026-12-06) missed the new 50 ms
  p99 target on every read, on a machine at load average 15–26 where the bare GET's own p99 was 53 ms;
  per request the API spends 3–11 ms of CPU and PostgreSQL 0.6–14 ms (the 台账). Since then the public
  reads that phones refresh (leaderboard, honour list, community page) are answered from a one-second
  cache per process, and the login, a board's names and the account page are read straight through
  asyncpg (bench/reads.md); the city run has not been repeated since on one server. On the scale-out topology
  (replica, Redis Cluster, partitions: docs/scale.md, bench/results/full-scaleout.json) the dashboard and the 台账
  now cost half or less of the CPU they did (bench/reads_notes.md), but the runs shared the machine and their
  p99s do not show the 50 ms goal met.
- **Loading the city**: 290 s, was 1,072 s: COPY with the unique keys dropped and re-added after,
  period totals and standings derived by one join each, `VACUUM ANALYZE` and a `CHECKPOINT` after
  the load, and the Redis rebuild grouped by PostgreSQL and written as prepared Redis protocol
  (4.2 million totals into about 19,500 sorted sets in 70 s, was 383 s).
- **Check-in capacity** is measured apart (`bench/checkin_bench.py`, below): 1.20–1.76x the one-insert
  baseline's requests per second, with 0.61x its API CPU per request.

See docs/scale.md for what these numbers mean for a province of 10 million volunteers.
"""
