"""Every list about people and places, for the list benchmark (bench/bench_lists.py), and a
runner of its own: the median of one client in-process (Django's test client through every
middleware, against the database of DATABASE_URL) and the statements of one request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_h2 \\
        .venv/bin/python bench/lists_people.py [--rounds 15] [--only TEXT]

Each page is asked as the city, county, township and village cadres of seed_demo (and the
API's team list as the demo volunteer too). Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench.list_pages import ListPage  # noqa: E402

CADRES = ("city", "county", "township", "village")
PHONES = {
    "city": "13800000001",
    "county": "13800000002",
    "township": "13800000003",
    "village": "13800000004",
    "volunteer": "13700000001",
    "resident": "13900000001",
}

# (label, path) of every admin changelist of people and places, with each filter, search
# and sort it offers. Ids that depend on the data (a skill, a team) are looked up by
# ``resolved`` at run time.
ADMIN = [
    ("admin 用户", "/admin/accounts/user/"),
    ("admin 用户 搜索姓氏", "/admin/accounts/user/?q=王"),
    ("admin 用户 搜索全名", "/admin/accounts/user/?q={full_name}"),
    ("admin 用户 搜索尾号", "/admin/accounts/user/?q=0004"),
    ("admin 用户 搜索手机号", "/admin/accounts/user/?q=13700000001"),
    ("admin 用户 已停用", "/admin/accounts/user/?is_active__exact=0"),
    # The fourth column (o counts from nought; o=4 was the unsortable 任职阵地, ignored).
    ("admin 用户 注册时间升序", "/admin/accounts/user/?o=3"),
    ("admin 志愿者", "/admin/volunteers/volunteer/"),
    ("admin 志愿者 搜索姓氏", "/admin/volunteers/volunteer/?q=王"),
    ("admin 志愿者 搜索尾号", "/admin/volunteers/volunteer/?q=0004"),
    ("admin 志愿者 搜索手机号", "/admin/volunteers/volunteer/?q=13700000001"),
    ("admin 志愿者 待审核", "/admin/volunteers/volunteer/?status__exact=pending"),
    ("admin 志愿者 未通过", "/admin/volunteers/volunteer/?status__exact=rejected"),
    ("admin 志愿者 党员", "/admin/volunteers/volunteer/?is_party_member__exact=1"),
    ("admin 志愿者 技能", "/admin/volunteers/volunteer/?skill={skill}"),
    ("admin 花名册", "/admin/volunteers/volunteerroster/"),
    ("admin 花名册 搜索姓氏", "/admin/volunteers/volunteerroster/?q=王"),
    ("admin 花名册 待审核", "/admin/volunteers/volunteerroster/?status__exact=pending"),
    ("admin 花名册邀请", "/admin/volunteers/rosterinvitation/"),
    ("admin 志愿服务队", "/admin/volunteers/team/"),
    ("admin 志愿服务队 专业队伍", "/admin/volunteers/team/?kind__exact=specialist"),
    ("admin 志愿服务队 按名称", "/admin/volunteers/team/?o=1"),
    ("admin 志愿服务队 搜索", "/admin/volunteers/team/?q=社区"),
    ("admin 队员", "/admin/volunteers/teammembership/"),
    ("admin 队员 队长", "/admin/volunteers/teammembership/?role__exact=leader"),
    ("admin 队员 在队", "/admin/volunteers/teammembership/?left_on__isempty=1"),
    ("admin 队员 搜索姓氏", "/admin/volunteers/teammembership/?q=王"),
    ("admin 队员 某队", "/admin/volunteers/teammembership/?team__id__exact={team}"),
    ("admin 个人信息查看记录", "/admin/volunteers/personaldatareveal/"),
    ("admin 技能", "/admin/volunteers/skill/"),
    ("admin 服务时长", "/admin/points/hoursentry/"),
    ("admin 服务时长 搜索姓氏", "/admin/points/hoursentry/?q=王"),
    ("admin 阵地", "/admin/practice/center/"),
    ("admin 阵地 村级", "/admin/practice/center/?level__exact=village"),
    ("admin 阵地 搜索", "/admin/practice/center/?q=社区"),
    ("admin 服务项目", "/admin/practice/service/"),
    ("admin 干部任职", "/admin/practice/cadrerole/"),
    (
        "admin 选择志愿者（自动完成）",
        "/admin/autocomplete/?app_label=volunteers&model_name=teammembership"
        "&field_name=volunteer&term=王",
    ),
]
API = [
    ("API 志愿者", "/api/v1/volunteers/"),
    ("API 志愿者 搜索姓氏", "/api/v1/volunteers/?search=王"),
    ("API 志愿者 搜索尾号", "/api/v1/volunteers/?search=0004"),
    ("API 志愿者 待审核", "/api/v1/volunteers/?status=pending"),
    ("API 志愿者 某乡镇", "/api/v1/volunteers/?center={township}"),
    ("API 志愿服务队", "/api/v1/teams/"),
    ("API 志愿服务队 专业队伍", "/api/v1/teams/?kind=specialist"),
    ("API 阵地 村级", "/api/v1/centers/?level=village"),
    ("API 服务项目", "/api/v1/services/"),
]


def pages() -> list[ListPage]:
    """Every page as every cadre tier; the API's team list as the volunteer too."""
    found = [
        ListPage(label=label, path=path, persona=persona, api=False)
        for label, path in ADMIN
        for persona in CADRES
    ]
    found += [
        ListPage(label=label, path=path, persona=persona, api=True)
        for label, path in API
        for persona in CADRES
    ]
    found.append(
        ListPage(label="API 志愿服务队", path="/api/v1/teams/", persona="volunteer", api=True)
    )
    return found


def placeholders() -> dict[str, str]:
    from practice.models import Center
    from volunteers.models import Skill, Team, Volunteer

    township = Center.objects.get(code="430405007")
    county = Center.objects.get(code="430405")
    name = (
        Volunteer.objects.filter(county=county, real_name__startswith="王")
        .order_by("-id")
        .values_list("real_name", flat=True)
        .first()
    )
    village_team = Team.objects.filter(center__code="430405007006", kind="standing").first()
    return {
        "full_name": name or "王",
        "skill": str(Skill.objects.order_by("id").values_list("pk", flat=True).first()),
        "team": str(village_team.pk if village_team else 0),
        "township": str(township.pk),
    }


def resolved(path: str, values: dict[str, str]) -> str:
    return path.format(**values) if "{" in path else path


LARGE_TABLES = (
    "accounts_user",
    "volunteers_volunteer",
    "volunteers_teammembership",
    "volunteers_volunteer_skills",
    "points_hoursentry",
)


def _explained(connection, statements: list[tuple[str, object]]) -> tuple[float, set[str]]:
    """The database's own execution time of a page's reads (EXPLAIN ANALYZE of each
    SELECT, run again), and the large tables any of them reads whole. Less disturbed by a
    busy machine than the page's wall time, and it shows where an index is missing."""
    import json

    total = 0.0
    scanned: set[str] = set()
    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            (document,) = cursor.fetchone()
        result = (json.loads(document) if isinstance(document, str) else document)[0]
        total += result["Execution Time"]
        nodes = [result["Plan"]]
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE_TABLES:
                scanned.add(node["Relation Name"])
    return total, scanned


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 15
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    values = placeholders()
    clients = {}
    for persona, phone in PHONES.items():
        user = User.objects.get(phone=phone)
        session = Client()
        session.force_login(user)
        token, _created = Token.objects.get_or_create(user=user)
        clients[(persona, False)] = session
        clients[(persona, True)] = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    explain = "--explain" in sys.argv
    print(f"{rounds} rounds, median; load average {os.getloadavg()}")
    print()
    if explain:
        print("| page | persona | database (ms) | statements | status | seq scan of |")
    else:
        print("| page | persona | median (ms) | statements | status | goal < 100 ms |")
    print("|---|---|---|---|---|---|")
    for page in pages():
        if only and only not in page.label:
            continue
        client = clients[(page.persona, page.api)]
        path = resolved(page.path, values)
        # Django empties its own query log when a request starts: count at the driver.
        statements: list[tuple[str, object]] = []

        def counted(execute, sql, params, many, context, statements=statements):
            statements.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = client.get(path)
        if explain:
            database_ms, scanned = _explained(connection, statements)
            print(
                f"| {page.label} | {page.persona} | {database_ms:.1f} | {len(statements)} | "
                f"{response.status_code} | {', '.join(sorted(scanned)) or '-'} |",
                flush=True,
            )
            continue
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        median = statistics.median(samples)
        print(
            f"| {page.label} | {page.persona} | {median:.1f} | "
            f"{len(statements)} | {response.status_code} | "
            f"{'yes' if median < 100 else '**no**'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
