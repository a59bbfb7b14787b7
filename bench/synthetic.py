"""City-scale synthetic volunteers, teams and memberships, for demos and benchmarks.

A system-level bulk loader: it writes straight into the tables, bypassing the per-row
services (volunteer_create, team_save, team_member_add) because a million calls of them
would take hours. It writes exactly the columns those services would: the ID number is
encrypted and digested by volunteers.identity, its first and last four characters, gender
and birth date are read off it, and the township and county come from the same
``checked_home`` the services use. Review fields stay empty, as volunteer_create leaves
them, and the hours and points caches stay at zero because no ledger row exists.

How the volunteers are spread (a plausible model, not official figures): every county gets
a share proportional to its number of villages and communities, and the five urban
districts (珠晖区 430405, 雁峰区 430406, 石鼓区 430407, 蒸湘区 430408, 南岳区 430412) count
each community URBAN_MULTIPLIER times, since an urban community has several times a rural
village's population and a higher registration rate. On the real tree that puts about 23%
of the volunteers in the urban districts, which hold 9% of the villages.

Uniqueness without looking anything up: each volunteer gets a serial number, starting after
the number of accounts already present, and a serial maps one-to-one (a multiplication
modulo the size of each space) to a phone number and to a (birth date, sequence) pair, so
no two serials share either. A re-run starts after the previous run's serials; rows that
still collide with numbers already present (a real volunteer, a deleted-then-reused range)
are checked for and skipped, batch by batch, whenever the tables were not empty.

Rows are built in batches by a pure function (``build_batch``) that a pool of worker
processes can run, since encrypting 1.44 million numbers is most of the Python work; the
main process reserves ids, assigns team memberships and writes each batch, with COPY on
PostgreSQL and executemany elsewhere, committing per batch so memory stays bounded.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import hmac
import io
import json
import random
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.errors import DomainError
from practice.models import Center, Level, Platform
from volunteers.identity import _lookup_key, cipher, compose_id_number
from volunteers.models import Skill, Team, TeamMembership, Volunteer
from volunteers.services.checks import checked_home

URBAN_COUNTY_CODES = frozenset({"430405", "430406", "430407", "430408", "430412"})
URBAN_MULTIPLIER = 3

# Mobile prefixes MAINLAND_MOBILE accepts (accounts.phones); a test checks each of them.
PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "176", "177", "178", "180", "181",
    "182", "183", "184", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip
PHONE_SPACE = len(PHONE_PREFIXES) * 10**8
# Multipliers coprime with their space, so serial -> number is one-to-one; large, so that
# consecutive serials land far apart.
PHONE_STRIDE = 2_654_435_761
BIRTH_FIRST = datetime.date(1950, 1, 1)
BIRTH_LAST = datetime.date(2006, 12, 31)
BIRTH_DAYS = (BIRTH_LAST - BIRTH_FIRST).days + 1
ID_SPACE = BIRTH_DAYS * 1000
ID_STRIDE = 1_000_003

# Common surnames of Hunan, most frequent first, weighted roughly by frequency.
SURNAMES = (
    ("刘", 9), ("李", 9), ("王", 8), ("陈", 8), ("张", 7), ("周", 6), ("谭", 5), ("罗", 5),
    ("彭", 4), ("唐", 4), ("邓", 4), ("欧阳", 1), ("曾", 4), ("黄", 4), ("胡", 3), ("谢", 3),
    ("肖", 3), ("廖", 3), ("蒋", 3), ("贺", 2), ("杨", 3), ("赵", 2), ("吴", 2), ("颜", 2),
)  # fmt: skip
GIVEN_CHARACTERS = (
    "建国伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华红玉梅文辉鑫宇浩然子涵欣怡"
    "雨轩思远志刚海燕春秋晓东丹凤小龙佳琪嘉怡俊杰国庆立新永红德胜金花淑珍"
)
STATUS_WEIGHTS = (
    (Volunteer.Status.ACTIVE, 90),
    (Volunteer.Status.PENDING, 4),
    (Volunteer.Status.SUSPENDED, 2),
    (Volunteer.Status.LEFT, 4),
)
INSURERS = (
    "中国人民财产保险股份有限公司",
    "中国人寿保险股份有限公司",
    "中国平安财产保险股份有限公司",
)
INSURED_SHARE = 0.3
PARTY_MEMBER_SHARE = 0.15
SECOND_TEAM_SHARE = 0.25
# Up to this many accounts already present, their numbers are checked in memory.
PRELOAD_TAKEN_UP_TO = 200_000
EARLIEST_JOINED = datetime.date(2016, 1, 1)
# Names of extra specialist teams hung under villages once every center has its own.
OTHER_TEAM_NAMES = (
    "巾帼志愿服务队", "青年志愿服务队", "党员志愿服务队", "医疗志愿服务队", "文艺志愿服务队",
    "平安志愿服务队",
)  # fmt: skip
SPECIALIST_ORDER = (
    Team.Specialty.LECTURER,
    Team.Specialty.RETURNING_STUDENTS,
    Team.Specialty.ELDERS,
)

USER_COLUMNS = (
    "id", "password", "last_login", "is_superuser", "phone", "name", "is_active", "is_staff",
    "date_joined", "phone_last4",
)  # fmt: skip
VOLUNTEER_COLUMNS = (
    "id", "user_id", "created_at", "updated_at", "real_name", "id_number_encrypted",
    "id_number_digest", "id_number_first4", "id_number_last4", "gender", "birth_date",
    "home_center_id", "township_id", "county_id", "platforms", "availability",
    "is_party_member", "status", "joined_on", "reviewed_by_id", "reviewed_at", "review_reason",
    "insurer", "insurance_number", "insurance_valid_until", "hours", "points",
    "national_number",
)  # fmt: skip
SKILL_COLUMNS = ("volunteer_id", "skill_id")
MEMBERSHIP_COLUMNS = (
    "created_at",
    "updated_at",
    "role",
    "joined_on",
    "left_on",
    "team_id",
    "volunteer_id",
    "center_id",
    "township_id",
    "county_id",
    "city_id",
)


class NoTreeError(Exception):
    """The center tree has no village to home volunteers in."""


@dataclass(frozen=True)
class Village:
    id: int
    township_id: int
    county_id: int
    region: str  # the county's six-digit code, the ID number's region


@dataclass(frozen=True)
class Context:
    """What every batch needs, small enough to hand to each worker once."""

    villages: tuple[Village, ...]
    cum_weights: tuple[float, ...]
    skill_ids: tuple[int, ...]
    now: datetime.datetime
    today: datetime.date
    seed: int
    # PostgreSQL: the workers render the COPY text too, so the writer only prefixes ids.
    as_text: bool = False


@dataclass
class Row:
    """One synthetic volunteer, without its ids (reserved when the batch is written)."""

    phone: str
    digest: str
    village: int  # index into Context.villages
    status: str
    joined_on: datetime.date | None
    user_values: tuple | str  # USER_COLUMNS without id, or their COPY text
    volunteer_values: tuple | str  # VOLUNTEER_COLUMNS without id and user_id, or text
    skill_ids: tuple[int, ...]


@dataclass
class Result:
    users: int = 0
    teams: int = 0
    skills: int = 0
    memberships: int = 0
    leaders: int = 0
    skipped: int = 0
    by_county: dict[int, int] = field(default_factory=dict)


def village_weight(region: str) -> int:
    return URBAN_MULTIPLIER if region in URBAN_COUNTY_CODES else 1


def load_villages() -> list[Village]:
    """The active villages with a full chain above them, in code order."""
    villages = []
    queryset = (
        Center.objects.filter(level=Level.VILLAGE, is_active=True)
        .select_related("parent__parent__parent")
        .order_by("code")
    )
    for center in queryset:
        try:
            township, county = checked_home(center)
        except DomainError:
            continue  # an orphan village simply gets no volunteers
        region = county.code[:6] if county.code[:6].isdigit() else "430400"
        villages.append(Village(center.pk, township.pk, county.pk, region))
    if not villages:
        raise NoTreeError
    return villages


def make_context(villages: Sequence[Village], *, seed: int, as_text: bool = False) -> Context:
    total = 0.0
    cumulative = []
    for village in villages:
        total += village_weight(village.region)
        cumulative.append(total)
    return Context(
        villages=tuple(villages),
        cum_weights=tuple(cumulative),
        skill_ids=tuple(Skill.objects.filter(is_active=True).values_list("pk", flat=True)),
        now=timezone.now(),
        today=timezone.localdate(),
        seed=seed,
        as_text=as_text,
    )


def phone_for(serial: int) -> str:
    number = (serial * PHONE_STRIDE + 7_777_777) % PHONE_SPACE
    return f"{PHONE_PREFIXES[number // 10**8]}{number % 10**8:08d}"


def id_number_for(serial: int, region: str) -> str:
    slot = (serial * ID_STRIDE + 12_345) % ID_SPACE
    birth_date = BIRTH_FIRST + datetime.timedelta(days=slot % BIRTH_DAYS)
    return compose_id_number(region, birth_date, slot // BIRTH_DAYS)


def _pick(rng: random.Random, items: Sequence, cumulative: Sequence[int]):
    """rng.choices(items, cum_weights=cumulative)[0], without its per-call set-up."""
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _random_name(rng: random.Random) -> str:
    surname = _pick(rng, _SURNAME_LIST, _SURNAME_CUM)
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(length))


_SURNAME_LIST = [name for name, _weight in SURNAMES]
_SURNAME_CUM = []
for _name, _weight in SURNAMES:
    _SURNAME_CUM.append((_SURNAME_CUM[-1] if _SURNAME_CUM else 0) + _weight)
_STATUSES = [status for status, _weight in STATUS_WEIGHTS]
_STATUS_CUM = []
for _status, _weight in STATUS_WEIGHTS:
    _STATUS_CUM.append((_STATUS_CUM[-1] if _STATUS_CUM else 0) + _weight)
_PLATFORMS = list(Platform.values)
_SKILL_COUNTS = (0, 1, 2, 3)
_SKILL_COUNT_CUM = (35, 70, 90, 100)
_json_cache: dict[tuple[str, ...], str] = {}
# Bits of the availability mask (volunteers.availability: day-major, three periods a day)
# for every evening and the whole weekend.
_LEISURE_SLOTS = sum(1 << bit for bit in range(21) if bit >= 15 or bit % 3 == 2)


def build_batch(context: Context, first_serial: int, count: int) -> list[Row]:
    """Rows for serials first_serial .. first_serial + count - 1. Pure: no database, so a
    worker process can run it; random but repeatable for a seed, except the encryption."""
    rng = random.Random(f"{context.seed}:{first_serial}")
    villages = context.villages
    picks = rng.choices(range(len(villages)), cum_weights=context.cum_weights, k=count)
    now, today = context.now, context.today
    now_text = now.isoformat()
    joined_span = (today - EARLIEST_JOINED).days
    # The very cipher and lookup key encrypt_id_number and id_number_digest use, bound once
    # per batch rather than looked up per row (a test checks the results are the same).
    seal = cipher().encrypt
    lookup = hmac.new(_lookup_key(), digestmod=hashlib.sha256)
    rows = []
    for offset, index in enumerate(picks):
        serial = first_serial + offset
        village = villages[index]
        phone = phone_for(serial)
        name = _random_name(rng)
        id_number = id_number_for(serial, village.region)
        birth_date = datetime.date(
            int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
        )
        gender = "male" if int(id_number[16]) % 2 else "female"
        mac = lookup.copy()
        mac.update(id_number.encode())
        digest = mac.hexdigest()
        status = _pick(rng, _STATUSES, _STATUS_CUM)
        joined_on = (
            None
            if status == Volunteer.Status.PENDING
            else EARLIEST_JOINED + datetime.timedelta(days=rng.randrange(joined_span + 1))
        )
        insured = status == Volunteer.Status.ACTIVE and rng.random() < INSURED_SHARE
        skill_count = min(_pick(rng, _SKILL_COUNTS, _SKILL_COUNT_CUM), len(context.skill_ids))
        skill_ids = tuple(rng.sample(context.skill_ids, skill_count)) if skill_count else ()
        platform_count = rng.choice((0, 1, 1, 2))
        platforms = tuple(rng.sample(_PLATFORMS, platform_count)) if platform_count else ()
        platforms_json = _json_cache.get(platforms)
        if platforms_json is None:
            platforms_json = _json_cache[platforms] = json.dumps(list(platforms))
        # Weekends and evenings are when most people can serve: each such slot with odds
        # of one half, each weekday daytime slot with one in eight.
        availability = 0
        if rng.random() < 0.8:
            daytime = rng.getrandbits(21) & rng.getrandbits(21) & rng.getrandbits(21)
            availability = (rng.getrandbits(21) & _LEISURE_SLOTS) | (daytime & ~_LEISURE_SLOTS)
        password = "!" + secrets.token_urlsafe(30)  # unusable, as make_password(None)
        token = seal(id_number.encode()).decode()
        party = rng.random() < PARTY_MEMBER_SHARE
        insurer = rng.choice(INSURERS) if insured else ""
        policy = f"YW{today.year}{serial:010d}" if insured else ""
        valid_until = datetime.date(today.year, 12, 31) if insured else None
        if context.as_text:
            # Every value here is ours: digits, codes, base64 and names from fixed lists,
            # none with a tab, newline or backslash, so no escaping is needed.
            user_values = f"{password}\t\\N\tf\t{phone}\t{name}\tt\tf\t{now_text}\t{phone[-4:]}"
            volunteer_values = "\t".join(
                (
                    now_text, now_text, name, token, digest, id_number[:4], id_number[-4:],
                    gender, birth_date.isoformat(), str(village.id), str(village.township_id),
                    str(village.county_id), platforms_json, str(availability),
                    "t" if party else "f", status, joined_on.isoformat() if joined_on else "\\N",
                    "\\N", "\\N", "", insurer, policy,
                    valid_until.isoformat() if valid_until else "\\N", "0.00", "0", "",
                )
            )  # fmt: skip
        else:
            user_values = (password, None, False, phone, name, True, False, now, phone[-4:])
            volunteer_values = (
                now, now, name, token, digest, id_number[:4], id_number[-4:], gender,
                birth_date, village.id, village.township_id, village.county_id,
                platforms_json, availability, party, str(status), joined_on, None, None,
                "", insurer, policy, valid_until, "0.00", 0, "",
            )  # fmt: skip
        rows.append(
            Row(
                phone,
                digest,
                index,
                str(status),
                joined_on,
                user_values,
                volunteer_values,
                skill_ids,
            )
        )
    return rows


# --- Teams -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamPlan:
    center_id: int
    kind: str
    specialty: str
    name: str


def _standing(center: Center) -> TeamPlan:
    tier = Team.TIER_NAMES[Level(center.level)]
    return TeamPlan(center.pk, Team.Kind.STANDING, "", f"{center.name}新时代文明实践志愿服务{tier}")


def _specialist(center: Center, specialty: str, name: str | None = None) -> TeamPlan:
    label = name or str(Team.Specialty(specialty).label)
    return TeamPlan(center.pk, Team.Kind.SPECIALIST, specialty, f"{center.name}{label}")


def team_candidates() -> Iterator[TeamPlan]:
    """Teams in the order they are created: the standing corps, brigades and squads first,
    then the city's and counties' specialist teams, then the village units (round-robin
    over the townships, so that a share of them covers every township), then township
    specialist teams, then as many extra village specialist teams as asked for."""
    centers = list(Center.objects.filter(is_active=True).order_by("code"))
    by_level: dict[str, list[Center]] = {level: [] for level in Level.values}
    for center in centers:
        by_level[center.level].append(center)
    upper = by_level[Level.CITY] + by_level[Level.COUNTY]
    for center in upper + by_level[Level.TOWNSHIP]:
        yield _standing(center)
    for specialty in SPECIALIST_ORDER:
        for center in upper:
            yield _specialist(center, specialty)
    rank: dict[int | None, int] = {}
    ordered = []
    for village in by_level[Level.VILLAGE]:
        position = rank.get(village.parent_id, 0)
        rank[village.parent_id] = position + 1
        ordered.append((position, village.code, village))
    villages = [village for _position, _code, village in sorted(ordered, key=lambda v: v[:2])]
    for village in villages:
        yield _standing(village)
    for specialty in SPECIALIST_ORDER:
        for township in by_level[Level.TOWNSHIP]:
            yield _specialist(township, specialty)
    if not villages:
        return
    round_number = 0
    while True:
        base = OTHER_TEAM_NAMES[round_number % len(OTHER_TEAM_NAMES)]
        suffix = (
            ""
            if round_number < len(OTHER_TEAM_NAMES)
            else f"{round_number // len(OTHER_TEAM_NAMES) + 1}"
        )
        for village in villages:
            yield _specialist(village, Team.Specialty.OTHER, f"{base}{suffix}")
        round_number += 1


def create_teams(count: int, *, now: datetime.datetime) -> int:
    """Create ``count`` new teams, skipping any already there; returns how many."""
    if count <= 0:
        return 0
    existing = set(Team.objects.values_list("center_id", "kind", "specialty", "name"))
    standing = set(Team.objects.filter(kind=Team.Kind.STANDING).values_list("center_id", flat=True))
    new = []
    for plan in team_candidates():
        if (plan.center_id, plan.kind, plan.specialty, plan.name) in existing:
            continue
        if plan.kind == Team.Kind.STANDING and plan.center_id in standing:
            continue
        new.append(
            Team(
                center_id=plan.center_id,
                kind=plan.kind,
                specialty=plan.specialty,
                name=plan.name,
                created_at=now,
                updated_at=now,
            )
        )
        if len(new) == count:
            break
    with transaction.atomic():
        Team.objects.bulk_create(new, batch_size=1000)
    return len(new)


class TeamAssigner:
    """Puts each active volunteer in the nearest standing team above their village, and
    in a second team (any other team above it) either when that team still lacks a leader,
    who the volunteer then becomes, or at random for a quarter of them."""

    def __init__(self, villages: Sequence[Village], *, seed: int) -> None:
        self.rng = random.Random(f"teams:{seed}")
        centers = Center.objects.filter(is_active=True).only("id", "parent_id", "level")
        parent = {center.pk: center.parent_id for center in centers}
        level = {center.pk: center.level for center in centers}

        def nearest(center_id: int | None, tier: str) -> int | None:
            while center_id is not None and level.get(center_id) != tier:
                center_id = parent.get(center_id)
            return center_id

        standing: dict[int, int] = {}
        teams_at: dict[int, list[int]] = {}
        # The copied columns of a membership of each team (TeamMembership.center and the
        # path above it), as team_member_add writes them.
        self.paths: dict[int, tuple[int, int | None, int | None, int | None]] = {}
        for team_id, center_id, kind in (
            Team.objects.filter(is_active=True)
            .order_by("pk")
            .values_list("pk", "center_id", "kind")
        ):
            self.paths[team_id] = (
                center_id,
                nearest(center_id, Level.TOWNSHIP),
                nearest(center_id, Level.COUNTY),
                nearest(center_id, Level.CITY),
            )
            teams_at.setdefault(center_id, []).append(team_id)
            if kind == Team.Kind.STANDING:
                standing[center_id] = team_id
        led = set(
            TeamMembership.objects.filter(
                role=TeamMembership.Role.LEADER, left_on__isnull=True
            ).values_list("team_id", flat=True)
        )
        self.leaderless = {team_id for ids in teams_at.values() for team_id in ids} - led
        self.primary: list[int | None] = []
        self.others: list[list[int]] = []
        self.pending: list[list[int]] = []
        for village in villages:
            chain = []
            center_id: int | None = village.id
            while center_id is not None:
                chain.append(center_id)
                center_id = parent.get(center_id)
            primary = next((standing[c] for c in chain if c in standing), None)
            others = [t for c in chain for t in teams_at.get(c, ()) if t != primary]
            self.primary.append(primary)
            self.others.append(others)
            self.pending.append([t for t in reversed(others) if t in self.leaderless])

    def assign(self, village: int) -> list[tuple[int, str]]:
        primary = self.primary[village]
        if primary is None:
            return []
        chosen = [(primary, self._role(primary))]
        pending = self.pending[village]
        while pending:
            team_id = pending.pop()
            if team_id in self.leaderless:
                chosen.append((team_id, self._role(team_id)))
                return chosen
        others = self.others[village]
        if others and self.rng.random() < SECOND_TEAM_SHARE:
            team_id = self.rng.choice(others)
            chosen.append((team_id, self._role(team_id)))
        return chosen

    def _role(self, team_id: int) -> str:
        if team_id in self.leaderless:
            self.leaderless.discard(team_id)
            return TeamMembership.Role.LEADER
        return TeamMembership.Role.MEMBER


# --- Writing -----------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(values: Iterable[object]) -> str:
    return "\t".join(map(_copy_value, values))


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class Writer:
    """Reserves ids and inserts rows: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, villages: Sequence[Village] = ()) -> None:
        self.villages = villages
        self.known: tuple[set[str], set[str]] | None = None
        self.postgres = connection.vendor == "postgresql"
        if self.postgres and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                # A crash may lose the last batches, never corrupt: fine for a bulk load.
                cursor.execute("SET synchronous_commit = off")

    @contextmanager
    def indexes_deferred(self, tables: Sequence[str]) -> Iterator[int]:
        """Drop the tables' non-unique indexes for the load and build them again after.

        Maintaining a dozen indexes row by row makes COPY several times slower than one
        sorted build per index at the end. Unique indexes stay: they guard the data."""
        if not self.postgres:
            yield 0
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index "
                "JOIN pg_class index ON index.oid = pg_index.indexrelid "
                "JOIN pg_class tab ON tab.oid = pg_index.indrelid "
                "WHERE tab.relname = ANY(%s) AND NOT pg_index.indisunique "
                "AND NOT pg_index.indisprimary",
                [list(tables)],
            )
            definitions = cursor.fetchall()
            cursor.execute(
                "SELECT tab.relname, con.conname, pg_get_constraintdef(con.oid) "
                "FROM pg_constraint con JOIN pg_class tab ON tab.oid = con.conrelid "
                "WHERE tab.relname = ANY(%s) AND con.contype = 'f'",
                [list(tables)],
            )
            foreign_keys = cursor.fetchall()
            for name, _definition in definitions:
                cursor.execute(f'DROP INDEX "{name}"')
            # Checking each row's references one by one at commit costs more than one
            # join per constraint when it is added back.
            for table, name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        try:
            yield len(definitions) + len(foreign_keys)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                for _name, definition in definitions:
                    cursor.execute(definition)
                for table, name, definition in foreign_keys:
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                cursor.execute("RESET maintenance_work_mem")

    def reserve_ids(self, table: str, count: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite (the demo): one writer at a time, inside the batch's transaction.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                buffer = io.StringIO()
                for row in rows:
                    buffer.write(row if isinstance(row, str) else _copy_line(row))
                    buffer.write("\n")
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                    [tuple(_plain(value) for value in row) for row in rows],
                )

    def preload_taken(self) -> None:
        """Hold the numbers already present in memory when they are few (a demo's accounts),
        instead of asking the database about every batch. This run's own numbers never
        collide with each other, so the sets need no updating."""
        from accounts.models import User

        self.known = (
            set(User.objects.values_list("phone", flat=True)),
            set(Volunteer.objects.values_list("id_number_digest", flat=True)),
        )

    def taken(self, phones: list[str], digests: list[str]) -> tuple[set[str], set[str]]:
        from accounts.models import User

        if self.known is not None:
            known_phones, known_digests = self.known
            return known_phones.intersection(phones), known_digests.intersection(digests)
        if self.postgres:
            # One array parameter instead of ten thousand: planning stays cheap.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT phone FROM {User._meta.db_table} WHERE phone = ANY(%s)",  # noqa: S608
                    [phones],
                )
                taken_phones = {row[0] for row in cursor.fetchall()}
                cursor.execute(
                    f"SELECT id_number_digest FROM {Volunteer._meta.db_table} "  # noqa: S608
                    "WHERE id_number_digest = ANY(%s)",
                    [digests],
                )
                return taken_phones, {row[0] for row in cursor.fetchall()}
        return (
            set(User.objects.filter(phone__in=phones).values_list("phone", flat=True)),
            set(
                Volunteer.objects.filter(id_number_digest__in=digests).values_list(
                    "id_number_digest", flat=True
                )
            ),
        )


def _plain(value: object) -> object:
    """A value as Django's backend would hand it to the database driver."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def write_batch(
    writer: Writer, rows: list[Row], assigner: TeamAssigner | None, result: Result, check: bool
) -> None:
    from accounts.models import User

    if check:
        phones, digests = writer.taken([row.phone for row in rows], [row.digest for row in rows])
        if phones or digests:
            kept = [row for row in rows if row.phone not in phones and row.digest not in digests]
            result.skipped += len(rows) - len(kept)
            rows = kept
    if not rows:
        return
    row_county = [village.county_id for village in writer.villages]
    with transaction.atomic():
        user_ids = writer.reserve_ids(User._meta.db_table, len(rows))
        writer.insert(
            User._meta.db_table,
            USER_COLUMNS,
            (
                f"{uid}\t{row.user_values}"
                if isinstance(row.user_values, str)
                else (uid, *row.user_values)
                for uid, row in zip(user_ids, rows, strict=True)
            ),
        )
        volunteer_ids = writer.reserve_ids(Volunteer._meta.db_table, len(rows))
        writer.insert(
            Volunteer._meta.db_table,
            VOLUNTEER_COLUMNS,
            (
                f"{vid}\t{uid}\t{row.volunteer_values}"
                if isinstance(row.volunteer_values, str)
                else (vid, uid, *row.volunteer_values)
                for vid, uid, row in zip(volunteer_ids, user_ids, rows, strict=True)
            ),
        )
        skills = [
            (vid, sid)
            for vid, row in zip(volunteer_ids, rows, strict=True)
            for sid in row.skill_ids
        ]
        writer.insert(Volunteer.skills.through._meta.db_table, SKILL_COLUMNS, skills)
        memberships = []
        if assigner is not None:
            now = timezone.now()
            for vid, row in zip(volunteer_ids, rows, strict=True):
                if row.status != Volunteer.Status.ACTIVE:
                    continue  # only active volunteers may join a team (team_member_add)
                for team_id, role in assigner.assign(row.village):
                    memberships.append(
                        (
                            now,
                            now,
                            role,
                            row.joined_on,
                            None,
                            team_id,
                            vid,
                            *assigner.paths[team_id],
                        )
                    )
                    result.leaders += role == TeamMembership.Role.LEADER
        writer.insert(TeamMembership._meta.db_table, MEMBERSHIP_COLUMNS, memberships)
    result.users += len(rows)
    result.skills += len(skills)
    result.memberships += len(memberships)
    for row in rows:
        county = row_county[row.village]
        result.by_county[county] = result.by_county.get(county, 0) + 1


_worker_context: Context | None = None


def _init_worker(context: Context) -> None:
    global _worker_context  # noqa: PLW0603 - one context per worker process
    _worker_context = context


def _build_in_worker(first_serial: int, count: int) -> list[Row]:
    assert _worker_context is not None
    return build_batch(_worker_context, first_serial, count)


def generate(
    *,
    volunteers: int,
    teams: int,
    seed: int = 2026,
    batch_size: int = 10_000,
    workers: int = 0,
    defer_indexes: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Add ``volunteers`` volunteers (each with an account) and ``teams`` teams to the
    database, with skills and team memberships. Raises NoTreeError without villages.

    ``workers`` processes build (and encrypt) the batches while this one writes them;
    ``defer_indexes`` drops the non-unique indexes for the load and rebuilds them after
    (PostgreSQL only; worth it when the load is large next to what is there)."""
    from accounts.models import User

    villages = load_villages()
    context = make_context(villages, seed=seed, as_text=connection.vendor == "postgresql")
    result = Result()
    result.teams = create_teams(teams, now=context.now)
    assigner = TeamAssigner(villages, seed=seed) if Team.objects.exists() else None
    check = User.objects.exists() or Volunteer.objects.exists()
    # Serials of earlier runs are below the number of accounts they made.
    next_serial = User.objects.count()
    pool = None
    if workers > 0:
        import multiprocessing

        if not connection.in_atomic_block:
            # Workers never touch the database; no child should inherit a live socket.
            connection.close()
        pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_init_worker, initargs=(context,)
        )
    writer = Writer(villages)
    if check and next_serial <= PRELOAD_TAKEN_UP_TO:
        writer.preload_taken()
    tables = (
        User._meta.db_table,
        Volunteer._meta.db_table,
        Volunteer.skills.through._meta.db_table,
        TeamMembership._meta.db_table,
    )
    try:
        with writer.indexes_deferred(tables) if defer_indexes else nullcontext():
            if pool is None:
                while result.users < volunteers:
                    count = min(batch_size, volunteers - result.users)
                    rows = build_batch(context, next_serial, count)
                    next_serial += count
                    write_batch(writer, rows, assigner, result, check)
                    if progress:
                        progress(result.users, volunteers)
            else:
                _write_from_pool(
                    pool, writer, assigner, result, check, next_serial, volunteers, batch_size,
                    workers, progress,
                )  # fmt: skip
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return result


def _write_from_pool(
    pool, writer, assigner, result, check, next_serial, volunteers, batch_size, workers, progress
) -> None:
    in_flight: deque = deque()
    outstanding = 0
    while True:
        # A few batches ahead, never more, so memory stays bounded; rows skipped as taken
        # are made up for by the next batches.
        while len(in_flight) <= workers and result.users + outstanding < volunteers:
            count = min(batch_size, volunteers - result.users - outstanding)
            in_flight.append((count, pool.apply_async(_build_in_worker, (next_serial, count))))
            next_serial += count
            outstanding += count
        if not in_flight:
            return
        count, pending = in_flight.popleft()
        outstanding -= count
        write_batch(writer, pending.get(), assigner, result, check)
        if progress:
            progress(result.users, volunteers)
