"""How volunteers, teams and memberships are read and written through the API."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.phones import mask_phone
from practice.models import Center
from volunteers.availability import SLOT_BITS, mask_to_slots, slots_to_mask
from volunteers.models import Skill, Team, TeamMembership, Volunteer

# Bounds for integer ids in requests: anything past a bigint is not an id, and saying so
# beats letting the database refuse it.
MAX_ID = 2**63 - 1


class StrictCharField(serializers.CharField):
    """A CharField that takes only strings.

    DRF's CharField turns numbers into text, so an ID number sent as a JSON number would
    lose its leading zeros and its X silently; a client sending the wrong type is told so.
    """

    default_error_messages = {"not_a_string": _("应为文本，不能是数字、列表或其他类型。")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name"]


class VolunteerSerializer(serializers.ModelSerializer):
    """A volunteer profile as shown to the cadres in scope and to its owner.

    The ID number is always masked here; only the audited reveal action gives it in clear.
    The phone number is given in clear only when the view says the reader may see it.
    """

    phone = serializers.SerializerMethodField()
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    home_center_name = serializers.CharField(source="home_center.name", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    skills = SkillSerializer(many=True, read_only=True)
    availability = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "real_name",
            "phone",
            "id_number",
            "gender",
            "birth_date",
            "home_center",
            "home_center_name",
            "status",
            "status_name",
            "skills",
            "platforms",
            "availability",
            "is_party_member",
            "joined_on",
            "review_reason",
            "insurance_valid_until",
            "hours",
            "points",
        ]
        read_only_fields = fields

    def get_phone(self, volunteer: Volunteer) -> str:
        phone = volunteer.user.phone
        return phone if self.context.get("phone_in_clear") else mask_phone(phone)

    def get_availability(self, volunteer: Volunteer) -> list[str]:
        return mask_to_slots(volunteer.availability)


class VolunteerApplySerializer(serializers.Serializer):
    """The application form; the rules that need the database live in volunteer_apply."""

    real_name = StrictCharField(max_length=50)
    id_number = StrictCharField(max_length=30)
    center: serializers.PrimaryKeyRelatedField[Center] = serializers.PrimaryKeyRelatedField(
        queryset=Center.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": _("所选的村（社区）不存在。"),
            "incorrect_type": _("请选择所在的村（社区）。"),
        },
    )
    skills = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=50,
        required=False,
        default=list,
    )
    platforms = serializers.ListField(
        child=StrictCharField(max_length=32), max_length=10, required=False, default=list
    )
    availability = serializers.ListField(
        child=StrictCharField(max_length=32),
        max_length=len(SLOT_BITS),
        required=False,
        default=list,
    )
    is_party_member = serializers.BooleanField(required=False, default=False)

    def validate_skills(self, value: list[int]) -> list[Skill]:
        wanted = list(dict.fromkeys(value))
        found = {skill.pk: skill for skill in Skill.objects.filter(pk__in=wanted)}
        unknown = [str(pk) for pk in wanted if pk not in found]
        if unknown:
            raise serializers.ValidationError(
                _("未知的技能：%(ids)s") % {"ids": "、".join(unknown)}
            )
        return [found[pk] for pk in wanted]

    def validate_availability(self, value: list[str]) -> int:
        unknown = [slot for slot in value if slot not in SLOT_BITS]
        if unknown:
            raise serializers.ValidationError(
                _("未知的服务时段：%(slots)s") % {"slots": "、".join(unknown)}
            )
        return slots_to_mask(value)


class VolunteerRejectSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=200, allow_blank=True, required=False, default="")


class RevealedIdNumberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()


class TeamSerializer(serializers.ModelSerializer):
    center_name = serializers.CharField(source="center.name", read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    tier_name = serializers.CharField(read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "kind",
            "kind_name",
            "specialty",
            "tier_name",
            "center",
            "center_name",
            "description",
            "is_active",
            "member_count",
        ]
        read_only_fields = fields


class TeamMemberSerializer(serializers.ModelSerializer):
    """One membership. The phone is in clear only for ids the view lists in the context
    (the reader's own, and the volunteers in the reader's scope)."""

    real_name = serializers.CharField(source="volunteer.real_name", read_only=True)
    role_name = serializers.CharField(source="get_role_display", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = TeamMembership
        fields = [
            "id",
            "volunteer",
            "real_name",
            "role",
            "role_name",
            "joined_on",
            "left_on",
            "phone",
        ]
        read_only_fields = fields

    def get_phone(self, membership: TeamMembership) -> str:
        phone = membership.volunteer.user.phone
        in_clear: set[int] = self.context.get("phones_in_clear_for", set())
        return phone if membership.volunteer_id in in_clear else mask_phone(phone)


class TeamDetailSerializer(TeamSerializer):
    members = serializers.SerializerMethodField()

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "members"]
        read_only_fields = fields

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_members(self, team: Team) -> list[dict[str, Any]]:
        members = self.context["members"]
        return TeamMemberSerializer(members, many=True, context=self.context).data  # type: ignore[return-value]  # many=True gives a ReturnList; the stubs say ReturnDict


class TeamMemberAddSerializer(serializers.Serializer):
    volunteer = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.none(),
        error_messages={
            "does_not_exist": _("志愿者不存在，或不在您和本队伍的范围内。"),
            "incorrect_type": _("请选择志愿者。"),
        },
    )
    role = serializers.ChoiceField(
        choices=TeamMembership.Role.choices, default=TeamMembership.Role.MEMBER
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Which volunteers may be added depends on the reader and the team: the view says.
        volunteer = cast(serializers.PrimaryKeyRelatedField, self.fields["volunteer"])
        volunteer.queryset = self.context.get("joinable", Volunteer.objects.none())
