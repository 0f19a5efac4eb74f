"""Logins for the load: users and live sessions written straight into the database, in bulk.

A session row holds sha256(token) (accounts/sessions.py), so the harness knows each bearer token
without any login request; organisers get a role grant on their community.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import asyncpg

from bench.copyload import TableLoader
from servicebank.accounts.models import Role
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.sessions import TOKEN_PREFIX, hash_token
from servicebank.kernel.db import metadata


@dataclasses.dataclass
class Logins:
    volunteer_tokens: dict[int, str]  # volunteer id -> bearer token
    organiser_tokens: dict[int, str]  # community id -> an organiser's bearer token


async def create_logins(conn: asyncpg.Connection, *, volunteer_ids: list[int], community_ids: list[int],
                        tag: str = "b") -> Logins:
    """A user with a 1-day session for each volunteer, and one organiser per community."""
    t = metadata.tables
    first_user = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM app_user")) + 1
    now = dt.datetime.now(dt.UTC)
    expires = (now + dt.timedelta(days=1)).isoformat()
    password = hash_password("bench-password-1")
    users = TableLoader(t["app_user"], ["id", "username", "display_name", "password_hash", "volunteer_id",
                                        "created_at"])
    sessions = TableLoader(t["auth_session"], ["token_hash", "user_id", "created_at", "expires_at"])
    grants = TableLoader(t["role_grant"], ["id", "user_id", "role", "community_id"])
    user_lines, session_lines, grant_lines = [], [], []
    volunteer_tokens: dict[int, str] = {}
    organiser_tokens: dict[int, str] = {}
    uid = first_user
    for vid in volunteer_ids:
        token = f"{TOKEN_PREFIX}{tag}v{vid:010d}"
        volunteer_tokens[vid] = token
        user_lines.append(f"{uid}\t{tag}v{vid}\t志愿者{vid}\t{password}\t{vid}\t{now.isoformat()}")
        session_lines.append(f"{hash_token(token)}\t{uid}\t{now.isoformat()}\t{expires}")
        uid += 1
    first_grant = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM role_grant")) + 1
    for i, cid in enumerate(community_ids):
        token = f"{TOKEN_PREFIX}{tag}o{cid:06d}"
        organiser_tokens[cid] = token
        user_lines.append(f"{uid}\t{tag}o{cid}\t组织者{cid}\t{password}\t\\N\t{now.isoformat()}")
        session_lines.append(f"{hash_token(token)}\t{uid}\t{now.isoformat()}\t{expires}")
        grant_lines.append(f"{first_grant + i}\t{uid}\t{Role.ORGANISER}\t{cid}")
        uid += 1
    await users.copy(conn, user_lines)
    await sessions.copy(conn, session_lines)
    await grants.copy(conn, grant_lines)
    for table in ("app_user", "role_grant"):
        await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    return Logins(volunteer_tokens=volunteer_tokens, organiser_tokens=organiser_tokens)
