"""Finds phone and resident ID numbers in clear where they must not be (issue 9, item 7):
the database's tables, every Redis database, log files. Used by the scan that runs after the
whole suite and by the tests that prove it finds what is planted."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from volunteers.identity import check_character

# As ID numbers: a run of digits glued to Latin letters or digits is part of a token (a
# task's UUID, a key), not a number someone could read off; Chinese text around a number
# does not hide it.
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")

# The columns that must hold a full number (docs/personal-data.md, "Where numbers are kept
# in clear"). Everything else is scanned.
ALLOWED_COLUMNS = frozenset(
    {
        ("accounts_user", "phone"),  # the login phone
        ("orders_order", "contact_phone"),  # whom the volunteer calls for the order
        ("practice_center", "contact_phone"),  # a center's public contact number
    }
)
# Columns that cannot hold a number in clear by construction (keyed digests, Fernet tokens,
# password hashes, signed session blobs); their hex and base64 would only give false hits.
OPAQUE_COLUMN = re.compile(r"(_digest|_encrypted|^password|^session_data)$")


@dataclass(frozen=True)
class Finding:
    place: str
    kind: str
    value: str

    def __str__(self) -> str:
        masked = self.value[:3] + "*" * (len(self.value) - 7) + self.value[-4:]
        return f"{self.kind} {masked} in {self.place}"


def numbers_in(text: str) -> Iterator[tuple[str, str]]:
    for match in PHONE.finditer(text):
        yield "phone", match.group()
    for match in ID_NUMBER.finditer(text):
        value = match.group().upper()
        # A run of 18 digits is an ID number only if its check character agrees.
        if check_character(value[:17]) == value[17]:
            yield "id_number", value


def scan_text(place: str, text: str) -> list[Finding]:
    return [Finding(place, kind, value) for kind, value in numbers_in(text)]


# --- the database -----------------------------------------------------------------------

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def scan_tables(connection, allowed: Iterable[tuple[str, str]] = ALLOWED_COLUMNS) -> list[Finding]:
    """Every text and JSON column of every table of the public schema, but the allowed."""
    allowed = set(allowed)
    findings: list[Finding] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s) ORDER BY 1, 2",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            if (table, column) in allowed or OPAQUE_COLUMN.search(column):
                continue
            # The database picks the candidates (any 11-digit run); Python judges them.
            cursor.execute(
                f'SELECT "{column}"::text FROM "{table}" WHERE "{column}"::text ~ %s',
                [r"[0-9]{11}"],
            )
            for (value,) in cursor.fetchall():
                findings += scan_text(f"{table}.{column}", value)
    return findings


# --- Redis --------------------------------------------------------------------------------


def _decoded(raw: bytes) -> str:
    """The bytes as text, and inside a Celery message its base64 body as well."""
    text = raw.decode("utf-8", errors="replace")
    try:
        message = json.loads(text)
    except ValueError:
        return text
    bodies = []
    if isinstance(message, dict) and isinstance(message.get("body"), str):
        try:
            bodies.append(base64.b64decode(message["body"]).decode("utf-8", errors="replace"))
        except (binascii.Error, ValueError):
            pass
    return "\n".join([text, *bodies])


def _values(client: redis.Redis, key: bytes) -> list[bytes]:
    kind = client.type(key).decode()
    if kind == "string":
        return [client.get(key) or b""]
    if kind == "list":
        return list(client.lrange(key, 0, -1))
    if kind == "hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return list(client.zrange(key, 0, -1))
    if kind == "stream":
        return [
            part for _id, fields in client.xrange(key) for pair in fields.items() for part in pair
        ]
    return []


def database_url(url: str, number: int) -> str:
    """``url`` with database ``number``: redis-py's ``db=`` gives way to a number the URL's
    path names, so it is replaced in the path instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


def database_of(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or 0)


def scan_redis(url: str, databases: Iterable[int] = range(16)) -> list[Finding]:
    """Keys and values of ``databases`` of the Redis server at ``url``."""
    findings: list[Finding] = []
    for number in databases:
        client = redis.Redis.from_url(database_url(url, number))
        for key in client.scan_iter(count=1000):
            place = f"redis db {number} key {key[:60]!r}"
            findings += scan_text(place + " (name)", key.decode("utf-8", errors="replace"))
            for value in _values(client, key):
                findings += scan_text(place, _decoded(value))
    return findings


# --- log files ----------------------------------------------------------------------------


def scan_log(path: Path, *, start: int = 0, keep=lambda line: True) -> list[Finding]:
    """The lines of the log at ``path`` from byte ``start`` that ``keep`` selects."""
    findings: list[Finding] = []
    with path.open("rb") as log:
        log.seek(start)
        for number, raw in enumerate(log, start=1):
            line = raw.decode("utf-8", errors="replace")
            if keep(line):
                findings += scan_text(f"{path} (+{number})", line)
    return findings
