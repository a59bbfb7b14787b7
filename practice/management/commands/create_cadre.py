from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.phones import normalize_phone, validate_mainland_mobile
from core.errors import DomainError
from practice.models import Center
from practice.services import cadre_create


class Command(BaseCommand):
    help = (
        "Create a cadre account bound to a center, or add a cadre role to an existing "
        "account. A new deployment's first city cadre is made this way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help="mainland mobile number, the login")
        parser.add_argument("--center", required=True, help="the center's division code")
        parser.add_argument("--name", help="real name (required for a new account)")
        parser.add_argument("--password", help="password; prompted for when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        center = Center.objects.filter(code=options["center"]).first()
        if center is None:
            raise CommandError(f"编码为 {options['center']} 的阵地不存在。")
        phone = normalize_phone(options["phone"])
        try:
            # Before any prompt: a mistyped number should not cost the operator a password.
            validate_mainland_mobile(phone)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        password = options["password"]
        exists = User.objects.filter(phone=phone).exists()
        if password is None and not exists:
            password = self._prompt_password()
        try:
            user, created = cadre_create(
                phone=options["phone"], center=center, name=options["name"], password=password
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        verb = "已创建干部账号" if created else "已为现有账号添加干部任职"
        self.stdout.write(self.style.SUCCESS(f"{verb}：{user.name} {user.phone} @ {center.title}"))

    def _prompt_password(self) -> str:
        for _attempt in range(3):
            first = getpass.getpass("密码：")
            second = getpass.getpass("再次输入密码：")
            if first and first == second:
                return first
            self.stderr.write("两次输入的密码不一致或为空，请重试。")
        raise CommandError("未设置密码，已放弃。")
