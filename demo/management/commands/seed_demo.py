from __future__ import annotations

import datetime
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import resident_register
from demo.benefits import seed_benefits
from demo.certificates import seed_certificate, verification_path
from demo.honours import seed_honour
from demo.proof import seed_proof_examples
from demo.stars import DEMO_STARS, seed_star_levels
from demo.supermarket import seed_supermarket
from demo.village import DEMO_VOLUNTEERS, demo_volunteer_phone, seed_village
from points.services.leaderboards import leaderboards_rebuild
from points.services.recalculation import recalculation_run, recalculation_start
from practice.models import Center
from practice.services import cadre_create
from volunteers.identity import compose_id_number
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_create

DEMO_PASSWORD = "Hengyang@2026"
# One cadre per tier down one branch of the real tree, in 珠晖区.
DEMO_CADRES = [
    ("13800000001", "市中心管理员", "430400"),
    ("13800000002", "珠晖区管理员", "430405"),
    ("13800000003", "衡州路街道管理员", "430405007"),
    ("13800000004", "王江社区管理员", "430405007006"),
]
DEMO_RESIDENT = ("13900000001", "张群众")
DEMO_VOLUNTEER = ("13700000001", "李志愿", "430405007006")
# Synthetic, well-formed: a 珠晖区 region code, a birth date, a sequence.
DEMO_VOLUNTEER_ID_NUMBER = compose_id_number("430405", datetime.date(1995, 6, 18), 27)


class Command(BaseCommand):
    help = "Load the Hengyang tree, the service menu and demo accounts; print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("load_divisions", stdout=self.stdout)
        call_command("load_service_menu", stdout=self.stdout)
        password = options["password"]
        with transaction.atomic():
            for phone, name, code in DEMO_CADRES:
                cadre_create(
                    phone=phone, name=name, password=password, center=Center.objects.get(code=code)
                )
            if not User.objects.filter(phone=DEMO_RESIDENT[0]).exists():
                resident_register(
                    phone=DEMO_RESIDENT[0],
                    name=DEMO_RESIDENT[1],
                    password=password,
                    phone_verified=True,
                )
            phone, name, code = DEMO_VOLUNTEER
            user = User.objects.filter(phone=phone).first() or resident_register(
                phone=phone, name=name, password=password, phone_verified=True
            )
            if not Volunteer.objects.filter(user=user).exists():
                volunteer_create(
                    user=user,
                    real_name=name,
                    id_number=DEMO_VOLUNTEER_ID_NUMBER,
                    home_center=Center.objects.get(code=code),
                    status=Volunteer.Status.ACTIVE,
                    joined_on=timezone.localdate(),
                )
            self._seed_team(Volunteer.objects.get(user=user))
            report = seed_village(
                password=password,
                cadre=User.objects.get(phone=DEMO_CADRES[1][0]),
                legacy_volunteer=Volunteer.objects.get(user=user),
            )
            benefits_made = seed_benefits()
            # Before the star levels' 补录, so that the certificate shows the services alone.
            certificate = seed_certificate(
                volunteer=Volunteer.objects.get(user__phone=demo_volunteer_phone(0)),
                cadre=User.objects.get(phone=DEMO_CADRES[2][0]),
            )
            seed_star_levels(
                cadre=User.objects.get(phone=DEMO_CADRES[1][0]),
                starred=Volunteer.objects.get(user=user),
                others=[
                    Volunteer.objects.get(user__phone=demo_volunteer_phone(index))
                    for index in range(3)
                ],
            )
            items_made = seed_supermarket(
                cadre=User.objects.get(phone=DEMO_CADRES[1][0]),
                volunteer=Volunteer.objects.get(user=user),
            )
            seed_proof_examples(
                resident=User.objects.get(phone=DEMO_RESIDENT[0]),
                server=Volunteer.objects.get(user__phone=demo_volunteer_phone(3)),
                reporter=Volunteer.objects.get(user__phone=demo_volunteer_phone(4)),
            )
        # A finished run of the full recalculation, for the city cadre's admin to show (it
        # finds no drift in the seeded ledgers); one more each time the seed runs again.
        run = recalculation_start()
        recalculation_run(recalculation_id=run.pk)
        # The leaderboards re-derived from the ledger: the demo's history is dated into the
        # past after it is written, and the team boards are refreshed by beat otherwise.
        leaderboards_rebuild()
        honour = seed_honour(
            volunteer=Volunteer.objects.get(user=user),
            county_cadre=User.objects.get(phone=DEMO_CADRES[1][0]),
            city_cadre=User.objects.get(phone=DEMO_CADRES[0][0]),
        )
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {password}）：")
        for phone, name, code in DEMO_CADRES:
            center = Center.objects.get(code=code)
            self.stdout.write(f"  干部  {phone}  {name}  {center.title}")
        self.stdout.write(f"  群众  {DEMO_RESIDENT[0]}  {DEMO_RESIDENT[1]}")
        self.stdout.write(
            f"  志愿者 {DEMO_VOLUNTEER[0]}  {DEMO_VOLUNTEER[1]}"
            f"（{DEMO_STARS} 星志愿者：/volunteer/star-card/ 星级卡，/volunteer/benefits/ 礼遇）"
        )
        last = demo_volunteer_phone(len(DEMO_VOLUNTEERS) - 1)
        self.stdout.write(
            f"  志愿者 {demo_volunteer_phone(0)}–{last[-3:]}  珠晖区的 {len(DEMO_VOLUNTEERS)} 名"
            f"演示志愿者（新建 {report.created}，已有 {report.existing}，"
            f"服务记录 {report.history} 条，续保 {report.renewed} 人）"
        )
        self.stdout.write(
            f"  星级礼遇：市级和珠晖区共 {benefits_made} 项新建（后台“星级礼遇”维护）"
        )
        self.stdout.write(
            f"  星级认定：{demo_volunteer_phone(0)} 一星公示中（/stars/notice/），"
            f"{demo_volunteer_phone(1)} 待区级认定（后台“星级认定”），"
            f"{demo_volunteer_phone(2)} 距一星还差 3.50 小时"
        )
        self.stdout.write(
            f"  服务证明：{certificate.real_name}（{demo_volunteer_phone(0)}）的证明 "
            f"{certificate.number}，/volunteer/certificates/ 下载 PDF，"
            f"核验页 {verification_path(certificate)}"
        )
        self.stdout.write(
            f"  服务核验：{DEMO_RESIDENT[1]}有一张订单待确认服务完成（我的订单），"
            f"{demo_volunteer_phone(4)} 的线下补录待干部审核（后台“待认证时长”）"
        )
        self.stdout.write(
            "  全量重算：后台“积分时长重算”（市级干部 13800000001）可发起，进度与偏差报告可查"
        )
        self.stdout.write(
            f"  爱心超市：珠晖区和衡州路街道共 {items_made} 件商品新建（/volunteer/supermarket/），"
            f"{DEMO_VOLUNTEER[1]} 有一笔待领取的兑换（后台“积分兑换”确认领取）"
        )
        self.stdout.write(
            "  排行榜：/leaderboard/（公开，姓名打码，可按年度、阵地筛选），"
            "后台“志愿服务排行榜”按管辖范围查看并导出 Excel；"
            f"{honour.year} 年度表彰：{DEMO_VOLUNTEER[1]}（/honours/，后台“年度表彰”）"
        )
        self.stdout.write(
            "  下单请选：珠晖区 → 衡州路街道 → 王江社区，值班时段（6:00–22:00）内数秒即自动派单。"
        )

    def _seed_team(self, volunteer: Volunteer) -> None:
        """The demo village's unit (小队) with the demo volunteer as its leader."""
        village = volunteer.home_center
        team = Team.objects.filter(center=village, kind=Team.Kind.STANDING).first()
        if team is None:
            team = team_save(
                actor=None,
                team=Team(
                    center=village, kind=Team.Kind.STANDING, name=f"{village.name}志愿服务小队"
                ),
            )
        if not team.memberships.filter(volunteer=volunteer, left_on__isnull=True).exists():
            township_cadre = User.objects.get(phone=DEMO_CADRES[2][0])
            team_member_add(
                actor=township_cadre,
                team=team,
                volunteer=volunteer,
                role=TeamMembership.Role.LEADER,
            )
