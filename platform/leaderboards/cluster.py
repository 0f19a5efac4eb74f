"""The leaderboards on a Redis Cluster (SERVICEBANK_REDIS_URL=redis+cluster://...): per slot, never across.

One Redis runs the push as one Lua call over every scope of a volunteer, with one version check per
(volunteer, period) in `sb:lbv:<period>`. A cluster runs a script only on the keys of one hash slot, and a
volunteer's scopes (city, community, street, teams) hash to different slots, on different masters. So here:

- each scope's keys carry the scope as hash tag (push.board_key): its boards of every period, its
  version hashes `sb:lbv:<period>:{<scope>}` and its built mark `sb:lbok:{<scope>}` share one slot;
- the push is split per slot, each part with its own version check (a late push loses in every slot on
  its own, as it does on one Redis). One call per master, over several slots, would be fewer round trips,
  but it depends on which master serves which slot, which a resharding changes under it; per slot holds;
- a master restarted without replicas comes back empty: the global built marker (on some other master)
  cannot tell, so each scope has its own built mark, set by the rebuild's swap in the scope's slot. Reads
  of a scope without it go to SQL, and the periodic check rebuilds just the scopes without it;
- the notes for running rebuilds (push.py's "touched" sets) are written before the boards, in calls of their
  own: a push that a rebuild's swap may overwrite has always noted itself first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from servicebank.leaderboards.push import (
    BUILT_MARKER,
    REBUILD_REQUESTED,
    REBUILD_TOUCHED_SECONDS,
    REBUILDS_RUNNING,
)

SCOPE_BUILT_PREFIX = "sb:lbok:"
# Records of 7 fields (period, volunteer, member, version, minutes, points, scope), all of one slot.
# Keys are built inside, as push.py's script does; all of them hash to the slot of KEYS[1] (routing only).
_SLOT_PUSH_SCRIPT = """
local done = 0
for i = 1, #ARGV, 7 do
  local period, vid, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local version, minutes, points = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  local tag = '{' .. ARGV[i + 6] .. '}'
  local vkey = 'sb:lbv:' .. period .. ':' .. tag
  local seen = redis.call('HGET', vkey, vid)
  if (not seen) or tonumber(seen) <= version then
    redis.call('HSET', vkey, vid, version)
    local base = 'sb:lb:' .. period .. ':' .. tag
    if minutes > 0 then redis.call('ZADD', base .. ':hours', minutes, member)
    else redis.call('ZREM', base .. ':hours', member) end
    if points > 0 then redis.call('ZADD', base .. ':points', points, member)
    else redis.call('ZREM', base .. ':points', member) end
    done = done + 1
  end
end
return done
"""
_RECORDS_PER_CALL = 600
# KEYS: live keys of one slot; ARGV[i] says what KEYS[i] becomes: the staged key (same slot) renamed over it,
# '' to drop it, '=' a built mark. UNLINK frees an old board in the background (see rebuild.Staging.swap).
_SLOT_SWAP_SCRIPT = """
for i, key in ipairs(KEYS) do
  if ARGV[i] == '=' then redis.call('SET', key, '1')
  else
    redis.call('UNLINK', key)
    if ARGV[i] ~= '' then redis.call('RENAME', ARGV[i], key) end
  end
end
return #KEYS
"""


def scope_built_key(scope: str) -> str:
    """The mark that a scope's boards were rebuilt and not lost since (in the scope's slot)."""
    return f"{SCOPE_BUILT_PREFIX}{{{scope}}}"


def scope_version_name(period: str, scope: str) -> str:
    """The versions of a period's totals as one scope's slot saw them ("2026-11:{city}", after VERSION_PREFIX)."""
    return f"{period}:{{{scope}}}"


def tagged_scope(key: str) -> str | None:
    """The scope a version hash key is tagged with; None for one Redis's per-period hash."""
    return key[key.index("{") + 1:key.rindex("}")] if "{" in key else None


def push_per_slot(client: Any, args: list[Any]) -> None:
    """push.run_push on a cluster: note the changes for running rebuilds, then one script call per slot."""
    by_slot: dict[int, list[Any]] = defaultdict(list)
    slot_of: dict[str, int] = {}  # a batch names the same few scopes many times: hash each once
    notes = []
    i = 0
    while i < len(args):
        period, vid, member, version, minutes, points, n = args[i:i + 7]
        notes.append(f"{period}|{vid}")
        for scope in args[i + 7:i + 7 + int(n)]:
            slot = slot_of.get(scope)
            if slot is None:
                slot = slot_of[scope] = client.keyslot(scope_built_key(scope))
            by_slot[slot] += [period, vid, member, version, minutes, points, scope]
        i += 7 + int(n)
    errors: list[Exception] = []
    try:
        note_for_rebuilds(client, notes)
    except Exception as exc:  # noqa: BLE001 - the master of the notes is down; so is any rebuild's swap
        errors.append(exc)
    step = 7 * _RECORDS_PER_CALL
    for fields in by_slot.values():
        # A master that is down fails its slots only: the others are still pushed, or their scopes, still
        # marked built, would miss this change for good.
        try:
            for start in range(0, len(fields), step):
                part = fields[start:start + step]
                client.eval(_SLOT_PUSH_SCRIPT, 1, scope_built_key(part[6]), *part)
        except Exception as exc:  # noqa: BLE001 - raised below, after the other slots
            errors.append(exc)
            _unmark(client, {fields[i + 6] for i in range(0, len(fields), 7)})
    if errors:
        raise errors[0]


def _unmark(client: Any, scopes: set[str]) -> None:
    """Scopes that missed a push are no longer built: if their master answers again (a moment's timeout,
    not a restart), the periodic check rebuilds them. If it is down, its restart empties them anyway."""
    for scope in scopes:
        try:
            client.delete(scope_built_key(scope))
        except Exception:  # noqa: BLE001, S110 - unreachable: see above
            pass


def note_for_rebuilds(client: Any, notes: list[str]) -> None:
    """Add "period|volunteer" notes to the touched set of every rebuild still alive (see push.py)."""
    for raw in client.smembers(REBUILDS_RUNNING):
        prefix = raw.decode()
        if client.exists(prefix + "alive"):
            pipe = client.pipeline(transaction=True)  # one key: one slot
            pipe.sadd(prefix + "touched", *notes)
            pipe.expire(prefix + "touched", REBUILD_TOUCHED_SECONDS)
            pipe.execute()
        else:
            client.srem(REBUILDS_RUNNING, prefix)


def _add(slot: tuple[list[str], list[str]], key: str, source: str) -> None:
    slot[0].append(key)
    slot[1].append(source)


def missing_scopes(client: Any, scopes: Iterable[str]) -> list[str]:
    """The scopes without a built mark: their master restarted empty, or they are new since the last rebuild."""
    names = list(scopes)
    pipe = client.pipeline(transaction=False)
    for scope in names:
        pipe.exists(scope_built_key(scope))
    return [scope for scope, there in zip(names, pipe.execute(), strict=True) if not there]


def swap_per_slot(client: Any, prefix: str, renames: dict[str, str], stale: Collection[str],
                  marks: Collection[str], *, finish: bool) -> set[str]:
    """Staging.swap on a cluster: each slot's staged keys renamed over the live ones by one script in that slot.

    `renames` maps staged key to live key, `stale` are live keys to drop, `marks` the scopes to mark built.
    Each slot's keys change all at once (so each scope's boards do); slots one after the other. Returns
    the rebuild's touched notes.
    """
    # Per slot: live keys, and what each becomes: the staged key renamed over it, "" (dropped), "=" (a built mark).
    per_slot: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for staged, target in renames.items():
        _add(per_slot[client.keyslot(target)], target, staged)
    for key in stale:
        _add(per_slot[client.keyslot(key)], key, "")
    for scope in marks:
        _add(per_slot[client.keyslot(scope_built_key(scope))], scope_built_key(scope), "=")
    for keys, sources in per_slot.values():
        # One script per slot (a cluster pipeline refuses RENAME): each scope's boards change all at once.
        client.eval(_SLOT_SWAP_SCRIPT, len(keys), *keys, *sources)
    # Every slot swapped: no push needs to note anything for this rebuild any more.
    client.srem(REBUILDS_RUNNING, prefix)
    client.unlink(prefix + "alive")
    pipe = client.pipeline(transaction=True)
    pipe.smembers(prefix + "touched")
    pipe.unlink(prefix + "touched")
    touched = pipe.execute()[0]
    if finish:
        client.set(BUILT_MARKER, "1")
        client.delete(REBUILD_REQUESTED)
    return {item.decode() for item in touched}
