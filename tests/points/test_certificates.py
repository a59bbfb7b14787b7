"""The service certificate (志愿服务证明, issue #11 item 8): a volunteer's hours and services
over a period from the hours ledger, frozen with the name, the masked ID number, the portal's
and the national system's volunteer numbers and the issuing center, under a number anyone
can verify through the printed link; a PDF with its CJK font embedded, printable from the
volunteer's page and by a cadre in scope."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.errors import DomainError, NotInScope
from points.certificates import NUMBER_ALPHABET, verification_code
from points.errors import PointErrorCode
from points.models import Certificate, HoursEntry, Kind, Source
from points.selectors.certificates import service_record
from points.services.certificates import certificate_issue, certificate_request
from points.services.ledger import hours_credit, ledger_adjust, source_reverse
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.factories.volunteers import make_volunteer
from tests.support.queries import exact_get, exact_queries
from volunteers.models import Volunteer, portal_number
from volunteers.services import volunteer_update_national_number

pytestmark = pytest.mark.django_db

MY_URL = reverse("points:my_certificates")
ISSUE_URL = reverse("admin:points_certificate_issue")
# Read at import: by the time a test runs, Hengyang's date may have turned (tests running
# across 16:00 UTC), so a "future" date below is three days ahead, never one.
TODAY = timezone.localdate()
# Last year, whole: in the past whatever day the suite runs.
START = datetime.date(TODAY.year - 1, 1, 1)
END = datetime.date(TODAY.year - 1, 12, 31)


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def credited(
    volunteer: Volunteer,
    source_id: int,
    hours: str,
    when: datetime.datetime,
    *,
    source: str = Source.ORDER,
    kind: str = Kind.EARNED,
) -> HoursEntry:
    """An entry written through the ledger's service, then dated ``when`` (created_at is
    auto_now_add: the only way to have entries of a past period)."""
    assert hours_credit(
        volunteer_id=volunteer.pk,
        source=source,
        source_id=source_id,
        hours=Decimal(hours),
        kind=kind,
    )
    entry = HoursEntry.objects.get(
        volunteer=volunteer, source=source, source_id=source_id, kind=kind
    )
    HoursEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


def redate(volunteer: Volunteer, source_id: int, kind: str, when: datetime.datetime) -> None:
    HoursEntry.objects.filter(volunteer=volunteer, source_id=source_id, kind=kind).update(
        created_at=when
    )


@pytest.fixture
def volunteer(people) -> Volunteer:
    """李志愿 of 王江社区 (衡州路街道, 珠晖区) with 3.50 hours of two services last year."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    credited(volunteer, 101, "1.50", at(START.replace(month=3)))
    credited(volunteer, 102, "2.00", at(START.replace(month=9)))
    return volunteer


@pytest.fixture
def certificate(people, tree, volunteer) -> Certificate:
    return certificate_issue(
        actor=people.township_cadre,
        volunteer_id=volunteer.pk,
        start=START,
        end=END,
        issuing_center_id=tree.township_a.pk,
    )


def verify_path(certificate: Certificate, number: str | None = None, code: str | None = None):
    return reverse(
        "points:certificate_verify",
        args=[number or certificate.number, code or verification_code(certificate)],
    )


def pdf_text(content: bytes) -> tuple[str, list[Any]]:
    """The text of the PDF's one page, and the font dictionaries it uses."""
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    return page.extract_text(), fonts


def descriptor(font: Any) -> Any:
    if "/FontDescriptor" in font:
        return font["/FontDescriptor"].get_object()
    # A composite (Type0) font keeps its descriptor on its descendant.
    return font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()


# --- what a certificate holds ---------------------------------------------------------------


def test_a_certificate_freezes_the_figures_of_the_period(certificate, tree, volunteer, people):
    assert certificate.real_name == "李志愿"
    assert certificate.id_number_first4 == VOLUNTEER_ID_NUMBER[:4]
    assert certificate.id_number_last4 == VOLUNTEER_ID_NUMBER[-4:]
    assert (certificate.period_start, certificate.period_end) == (START, END)
    assert (certificate.hours, certificate.services) == (Decimal("3.50"), 2)
    assert certificate.issuing_center == tree.township_a
    assert certificate.issued_by == people.township_cadre
    assert not certificate.self_service
    # The year of issue, the issuing center's county code, eight unguessable characters.
    year, county, suffix = certificate.number.split("-")
    assert (year, county) == (str(TODAY.year), "430405")
    assert len(suffix) == 8
    assert set(suffix) <= set(NUMBER_ALPHABET)
    # The copied scope columns: where the volunteer lives.
    assert (certificate.home_center, certificate.township, certificate.county) == (
        tree.village_a,
        tree.township_a,
        tree.county_a,
    )


def test_a_later_credit_does_not_change_an_issued_certificate(certificate, volunteer):
    # given a service of the period credited after the certificate was issued
    credited(volunteer, 103, "5.00", at(START.replace(month=5)))

    # then the certificate still says what the ledger said when it was issued
    certificate.refresh_from_db()
    assert (certificate.hours, certificate.services) == (Decimal("3.50"), 2)
    assert service_record(volunteer.pk, START, END) == (Decimal("8.50"), 3)


def test_the_portal_number_is_hy_and_nine_digits_and_the_national_one_is_printed(
    client, people, volunteer, tree
):
    # given a national system number recorded on the volunteer by a cadre in scope
    volunteer_update_national_number(
        actor=people.township_cadre, volunteer=volunteer, national_number="43040519900307A1"
    )
    certificate = certificate_issue(
        actor=people.county_cadre,
        volunteer_id=volunteer.pk,
        start=START,
        end=END,
        issuing_center_id=tree.county_a.pk,
    )
    client.force_login(people.volunteer)

    # when
    response = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))

    # then
    text, _fonts = pdf_text(response.content)
    assert portal_number(volunteer.pk) == f"HY{volunteer.pk:09d}"
    assert portal_number(volunteer.pk) in text
    assert "43040519900307A1" in text
    assert "珠晖区新时代文明实践中心" in text


def test_only_a_cadre_in_scope_records_the_national_number(people, volunteer):
    with pytest.raises(NotInScope):
        volunteer_update_national_number(
            actor=people.outsider_cadre, volunteer=volunteer, national_number="X1"
        )

    assert Volunteer.objects.get(pk=volunteer.pk).national_number == ""


# --- the ledger's figures -------------------------------------------------------------------


def test_entries_outside_the_period_are_not_counted(people, volunteer):
    # given services the day before the period and the day after it, and one at each edge
    # of it in the portal's time zone
    credited(volunteer, 201, "4.00", at(START - datetime.timedelta(days=1), 23, 59))
    credited(volunteer, 202, "8.00", at(END + datetime.timedelta(days=1), 0, 0))
    credited(volunteer, 203, "0.25", at(START, 0, 0))
    credited(volunteer, 204, "0.25", at(END, 23, 59))

    # when / then: the fixture's 3.50 and the two edges, nothing else
    assert service_record(volunteer.pk, START, END) == (Decimal("4.00"), 4)


def test_another_volunteers_entries_are_not_counted(tree, volunteer):
    other = make_volunteer(2, tree.village_a)
    credited(other, 101, "6.00", at(START.replace(month=3)))

    assert service_record(volunteer.pk, START, END) == (Decimal("3.50"), 2)


def test_a_reversal_subtracts_and_the_reversed_service_is_not_counted(people, volunteer):
    # given the 2.00 hours of order 102 taken back by a cadre (a 1-star review upheld)
    assert source_reverse(
        actor=people.township_cadre,
        volunteer_id=volunteer.pk,
        source=Source.ORDER,
        source_id=102,
        reason="服务未完成",
    )

    # then the period holds order 101 alone, whether the reversal was written in the period
    # or today
    assert service_record(volunteer.pk, START, END) == (Decimal("1.50"), 1)
    redate(volunteer, 102, Kind.REVERSED, at(START.replace(month=10)))
    assert service_record(volunteer.pk, START, END) == (Decimal("1.50"), 1)


def test_a_reversal_in_the_period_of_an_earlier_service_leaves_the_period_alone(volunteer):
    # given a service of the year before, reversed during the period
    credited(volunteer, 301, "9.00", at(START - datetime.timedelta(days=40)))
    credited(
        volunteer,
        301,
        "-9.00",
        at(START.replace(month=6)),
        kind=Kind.REVERSED,
    )

    # then it is the earlier period that loses the hours: this one cannot go below what
    # was done in it
    assert service_record(volunteer.pk, START, END) == (Decimal("3.50"), 2)
    before = (START - datetime.timedelta(days=60), START - datetime.timedelta(days=1))
    assert service_record(volunteer.pk, *before) == (Decimal("0.00"), 0)


def test_a_cadres_adjustment_counts_in_hours_but_is_no_service(people, volunteer):
    # given a 补录 of 2.5 hours written in the period, and one written today
    ledger_adjust(
        actor=people.township_cadre,
        volunteer_id=volunteer.pk,
        source_id=1,
        reason="补录",
        hours=Decimal("2.50"),
    )
    redate(volunteer, 1, Kind.ADJUSTED, at(START.replace(month=4)))
    ledger_adjust(
        actor=people.township_cadre,
        volunteer_id=volunteer.pk,
        source_id=2,
        reason="补录",
        hours=Decimal("7.00"),
    )

    assert service_record(volunteer.pk, START, END) == (Decimal("6.00"), 2)


def test_the_figures_cost_one_query(volunteer):
    with exact_queries(1):
        service_record(volunteer.pk, START, END)


# --- the PDF --------------------------------------------------------------------------------


def test_the_pdf_reads_back_with_the_chinese_facts_and_its_font_embedded(
    client, people, certificate
):
    # given
    client.force_login(people.volunteer)

    # when
    response = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text, fonts = pdf_text(response.content)
    for fact in (
        "志愿服务证明",
        "李志愿",
        "衡州路街道新时代文明实践所",
        "3.50",
        "2 次",
        certificate.number,
        f"{VOLUNTEER_ID_NUMBER[:4]}**********{VOLUNTEER_ID_NUMBER[-4:]}",
        f"{START:%Y}年01月01日",
    ):
        assert fact in text, fact
    assert "http://testserver" + verify_path(certificate) in text.replace("\n", "")
    assert VOLUNTEER_ID_NUMBER not in text
    # Every font is embedded TrueType (FontFile2): the page reads the same on a printer or
    # a phone without a Chinese font of its own.
    assert fonts
    for font in fonts:
        assert "/FontFile2" in descriptor(font), font


def test_the_printed_link_names_the_public_address_when_set(client, people, certificate, settings):
    settings.CERTIFICATE_PUBLIC_URL = "https://zyfw.hengyang.example"
    client.force_login(people.volunteer)

    response = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))

    text, _fonts = pdf_text(response.content)
    # The link wraps across lines under the QR code.
    assert "https://zyfw.hengyang.example" + verify_path(certificate) in text.replace("\n", "")


def test_without_the_font_the_pdf_is_a_chinese_page_and_the_rest_still_works(
    client, people, certificate, settings
):
    # given a machine without fonts-wqy-microhei
    settings.CERTIFICATE_FONT_PATH = "/nonexistent/wqy-microhei.ttc"
    client.force_login(people.volunteer)

    # when
    response = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))

    # then a page that says so, not a server error
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "暂时无法生成证明" in response.content.decode()
    assert "服务器缺少证明所用的中文字体" in response.content.decode()
    # and the volunteer's page and the verification are untouched
    assert certificate.number in client.get(MY_URL).content.decode()
    client.logout()
    assert client.get(verify_path(certificate)).status_code == 200
    # and the cadre's download answers the same page
    client.force_login(people.county_cadre)
    admin_pdf = client.get(reverse("admin:points_certificate_pdf", args=[certificate.pk]))
    assert admin_pdf.status_code == 503
    assert "暂时无法生成证明" in admin_pdf.content.decode()


# --- verification ---------------------------------------------------------------------------


def test_a_genuine_certificate_verifies_with_masked_figures_only(client, certificate):
    # when: anyone, signed in or not; the certificate and its center in one query
    response = exact_get(client, verify_path(certificate), 1)

    # then
    page = response.content.decode()
    assert "核验通过" in page
    for fact in (
        certificate.number,
        "李**",
        f"{VOLUNTEER_ID_NUMBER[:4]}**********{VOLUNTEER_ID_NUMBER[-4:]}",
        portal_number(certificate.volunteer_id),
        "3.50 小时",
        "2 次",
        "衡州路街道新时代文明实践所",
        "noindex",
    ):
        assert fact in page, fact
    # No full name, no full ID number, no phone.
    for private in ("李志愿", VOLUNTEER_ID_NUMBER, "13700000001", "1370000"):
        assert private not in page, private


def _one_character_changed(number: str) -> str:
    year, county, suffix = number.split("-")
    changed = NUMBER_ALPHABET[(NUMBER_ALPHABET.index(suffix[0]) + 1) % len(NUMBER_ALPHABET)]
    return f"{year}-{county}-{changed}{suffix[1:]}"


def _digit_changed(number: str) -> str:
    year, county, suffix = number.split("-")
    digit = str((int(county[-1]) + 1) % 10)
    return f"{year}-{county[:-1]}{digit}-{suffix}"


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda c: (_digit_changed(c.number), None), id="a digit of the number"),
        pytest.param(lambda c: (_one_character_changed(c.number), None), id="its random part"),
        pytest.param(
            lambda c: (
                None,
                ("b" if verification_code(c)[0] == "a" else "a") + verification_code(c)[1:],
            ),
            id="the code",
        ),
        pytest.param(lambda c: ("2026-430405-ABCDEFGH", None), id="a made-up number"),
    ],
)
def test_a_forged_or_altered_number_is_refused(client, certificate, alter):
    # given a link someone changed
    number, code = alter(certificate)

    # when: one look-up of the number, which finds nothing or a code that does not match
    response = exact_get(client, verify_path(certificate, number, code), 1, status=404)

    # then
    page = response.content.decode()
    assert "证明核验未通过" in page
    assert "该证明可能是伪造的" in page
    assert "李**" not in page
    assert "3.50" not in page


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("abc", "a" * 16),
        ("2026-430405-0000000O", "a" * 16),  # 0 and O are not in the alphabet
        ("2026-430405-ABCDEFGHJ", "a" * 16),
        ("2026-4304-ABCDEFGH", "a" * 16),
        ("2026-430405-ABCDEFGH", "short"),
        ("2026-430405-ABCDEFGH", "1" * 16),  # base32 has no 1
        ("；DROP TABLE", "' OR 1=1 --"),
    ],
)
def test_a_malformed_link_is_refused_without_a_query(client, certificate, number, code):
    response = exact_get(client, verify_path(certificate, number, code), 0, status=404)

    assert "证明核验未通过" in response.content.decode()


def test_a_row_altered_in_the_database_no_longer_verifies(client, certificate):
    # given someone with database access raising the hours of an issued certificate
    code = verification_code(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(hours=Decimal("350.00"))

    response = client.get(verify_path(certificate, code=code))

    assert response.status_code == 404
    assert "350" not in response.content.decode()


def test_a_rotated_key_still_verifies_certificates_printed_under_the_old_one(
    client, certificate, settings
):
    settings.CERTIFICATE_KEYS = ["old-key"]
    old_code = verification_code(certificate)

    settings.CERTIFICATE_KEYS = ["new-key", "old-key"]
    assert verification_code(certificate) != old_code
    assert client.get(verify_path(certificate, code=old_code)).status_code == 200

    settings.CERTIFICATE_KEYS = ["new-key"]
    assert client.get(verify_path(certificate, code=old_code)).status_code == 404


# --- who issues -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed", "refused"),
    [
        ("city_cadre", ["township_a", "county_a"], []),
        ("county_cadre", ["township_a", "county_a"], []),
        # The county center is above a township cadre's subtree.
        ("township_cadre", ["township_a"], ["county_a"]),
        # A village cadre's scope holds no issuing center.
        ("village_cadre", [], ["township_a", "county_a"]),
    ],
)
def test_each_cadre_issues_in_the_name_of_an_issuing_center_in_their_scope(
    people, tree, volunteer, persona, allowed, refused
):
    actor = getattr(people, persona)
    for name in allowed:
        certificate = certificate_issue(
            actor=actor,
            volunteer_id=volunteer.pk,
            start=START,
            end=END,
            issuing_center_id=getattr(tree, name).pk,
        )
        assert certificate.issuing_center == getattr(tree, name)
    for name in refused:
        with pytest.raises(DomainError) as refusal:
            certificate_issue(
                actor=actor,
                volunteer_id=volunteer.pk,
                start=START,
                end=END,
                issuing_center_id=getattr(tree, name).pk,
            )
        assert refusal.value.code == PointErrorCode.CERTIFICATE_ISSUER_NOT_ALLOWED
        assert "出具单位须为" in refusal.value.message
    assert Certificate.objects.count() == len(allowed)


@pytest.mark.parametrize("issuer", ["village_a", "city", "township_b", "township_a2"])
def test_no_other_center_can_be_the_issuer(people, tree, volunteer, issuer):
    # Not the village (no issuing tier), not the city, and not another township's institute.
    with pytest.raises(DomainError) as refusal:
        certificate_issue(
            actor=people.city_cadre,
            volunteer_id=volunteer.pk,
            start=START,
            end=END,
            issuing_center_id=getattr(tree, issuer).pk,
        )

    assert refusal.value.code == PointErrorCode.CERTIFICATE_ISSUER_NOT_ALLOWED
    assert not Certificate.objects.exists()


def test_a_cadre_cannot_issue_outside_their_subtree(people, tree, volunteer):
    with pytest.raises(NotInScope) as refusal:
        certificate_issue(
            actor=people.outsider_cadre,
            volunteer_id=volunteer.pk,
            start=START,
            end=END,
            issuing_center_id=tree.township_a.pk,
        )

    assert refusal.value.code == PointErrorCode.CERTIFICATE_VOLUNTEER_NOT_IN_SCOPE
    assert not Certificate.objects.exists()


def test_a_pending_applicant_gets_no_certificate(people, tree, volunteer):
    Volunteer.objects.filter(pk=volunteer.pk).update(status=Volunteer.Status.PENDING)

    with pytest.raises(DomainError) as refusal:
        certificate_issue(
            actor=people.county_cadre,
            volunteer_id=volunteer.pk,
            start=START,
            end=END,
            issuing_center_id=tree.county_a.pk,
        )

    assert refusal.value.code == PointErrorCode.CERTIFICATE_VOLUNTEER_NOT_APPROVED
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "code", "message"),
    [
        (END, START, PointErrorCode.CERTIFICATE_PERIOD_REVERSED, "截止日期不能早于起始日期。"),
        (
            START,
            TODAY + datetime.timedelta(days=3),
            PointErrorCode.CERTIFICATE_PERIOD_IN_FUTURE,
            "证明期间不能晚于今天",
        ),
        (
            datetime.date(TODAY.year - 7, 1, 1),
            END,
            PointErrorCode.CERTIFICATE_PERIOD_TOO_LONG,
            "一份证明的期间最长为 5 年",
        ),
        (
            datetime.date(1999, 12, 31),
            datetime.date(2000, 6, 30),
            PointErrorCode.CERTIFICATE_PERIOD_TOO_EARLY,
            "起始日期不能早于 2000-01-01。",
        ),
    ],
)
def test_a_period_a_certificate_cannot_cover_is_refused(
    people, tree, volunteer, start, end, code, message
):
    with pytest.raises(DomainError) as refusal:
        certificate_issue(
            actor=people.county_cadre,
            volunteer_id=volunteer.pk,
            start=start,
            end=end,
            issuing_center_id=tree.county_a.pk,
        )

    assert refusal.value.code == code
    assert message in refusal.value.message
    assert not Certificate.objects.exists()


def test_a_period_ending_today_is_allowed(people, tree, volunteer):
    certificate = certificate_issue(
        actor=people.county_cadre,
        volunteer_id=volunteer.pk,
        start=START,
        end=TODAY,
        issuing_center_id=tree.county_a.pk,
    )

    assert certificate.period_end == TODAY


# --- the cadre's admin ----------------------------------------------------------------------


def issue_form(volunteer_text: str, **overrides: str) -> dict[str, str]:
    data = {
        "volunteer": volunteer_text,
        "period_start": START.isoformat(),
        "period_end": END.isoformat(),
        "issuer": "township",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "issuer", "center"),
    [
        ("city_cadre", "county", "county_a"),
        ("county_cadre", "township", "township_a"),
        ("township_cadre", "township", "township_a"),
    ],
)
def test_a_cadre_issues_from_the_admin_by_portal_number_or_phone(
    client, people, tree, volunteer, persona, issuer, center
):
    # given
    client.force_login(getattr(people, persona))

    # when: by the portal number, then by the phone
    by_number = client.post(ISSUE_URL, issue_form(portal_number(volunteer.pk), issuer=issuer))
    by_phone = client.post(ISSUE_URL, issue_form("137 0000 0001", issuer=issuer))

    # then
    issued = list(Certificate.objects.order_by("id"))
    assert len(issued) == 2
    for response, certificate in zip((by_number, by_phone), issued, strict=True):
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "admin:points_certificate_change", args=[certificate.pk]
        )
        assert certificate.issuing_center == getattr(tree, center)
        assert certificate.issued_by == getattr(people, persona)
    # and the cadre prints it
    pdf = client.get(reverse("admin:points_certificate_pdf", args=[issued[0].pk]))
    assert pdf.status_code == 200
    assert "李志愿" in pdf_text(pdf.content)[0]


def test_a_township_cadre_choosing_the_county_center_gets_the_refusal_on_the_field(
    client, people, volunteer
):
    client.force_login(people.township_cadre)

    response = client.post(ISSUE_URL, issue_form(portal_number(volunteer.pk), issuer="county"))

    assert response.status_code == 400
    assert "出具单位须为" in str(response.context["form"].errors["issuer"])
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"period_start": END.isoformat(), "period_end": START.isoformat()},
            "period_end",
            "截止日期不能早于起始日期。",
        ),
        (
            {"period_end": (TODAY + datetime.timedelta(days=3)).isoformat()},
            "period_end",
            "证明期间不能晚于今天",
        ),
        ({"period_start": "2025-02-30"}, "period_start", "请填写有效的日期。"),
        ({"period_end": ""}, "period_end", "请填写截止日期。"),
        ({"volunteer": "abc"}, "volunteer", "志愿者不存在或不在您的管辖范围内。"),
        ({"volunteer": "HY12x"}, "volunteer", "志愿者不存在或不在您的管辖范围内。"),
        ({"volunteer": "HY999999999"}, "volunteer", "志愿者不存在或不在您的管辖范围内。"),
        ({"volunteer": ""}, "volunteer", "请填写志愿者编号或手机号。"),
        ({"issuer": "village"}, "issuer", "请选择出具单位。"),
    ],
)
def test_bad_input_in_the_admin_gets_a_chinese_error_and_writes_nothing(
    client, people, volunteer, data, field, message
):
    client.force_login(people.county_cadre)
    form = issue_form(portal_number(volunteer.pk))
    form.update(data)

    response = client.post(ISSUE_URL, form)

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert not Certificate.objects.exists()


def test_the_outsider_finds_neither_the_volunteer_nor_the_certificate(
    client, people, volunteer, certificate
):
    # given county B's cadre
    client.force_login(people.outsider_cadre)

    # when they name county A's volunteer, open the certificate or its PDF
    issued = client.post(ISSUE_URL, issue_form(portal_number(volunteer.pk), issuer="county"))
    change = client.get(reverse("admin:points_certificate_change", args=[certificate.pk]))
    pdf = client.get(reverse("admin:points_certificate_pdf", args=[certificate.pk]))
    listed = client.get(reverse("admin:points_certificate_changelist"))

    # then absent and out of scope read the same
    assert issued.status_code == 400
    assert "志愿者不存在或不在您的管辖范围内。" in str(issued.context["form"].errors["volunteer"])
    assert change.status_code == 404
    assert pdf.status_code == 404
    assert certificate.number not in listed.content.decode()
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize(
    "persona", ["city_cadre", "county_cadre", "township_cadre", "village_cadre"]
)
def test_cadres_of_the_volunteers_branch_list_and_print_the_certificate(
    client, people, certificate, persona
):
    client.force_login(getattr(people, persona))

    listed = client.get(reverse("admin:points_certificate_changelist"))
    pdf = client.get(reverse("admin:points_certificate_pdf", args=[certificate.pk]))

    assert listed.status_code == 200
    assert certificate.number in listed.content.decode()
    assert pdf.status_code == 200


def test_a_village_cadre_has_no_issue_page(client, people, volunteer):
    client.force_login(people.village_cadre)

    listed = client.get(reverse("admin:points_certificate_changelist"))
    response = client.post(ISSUE_URL, issue_form(portal_number(volunteer.pk)))

    assert ISSUE_URL not in listed.content.decode()
    assert response.status_code == 403
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "volunteer", None])
def test_residents_volunteers_and_anonymous_are_refused_the_admin(
    client, people, volunteer, certificate, persona
):
    if persona:
        client.force_login(getattr(people, persona))

    issued = client.post(ISSUE_URL, issue_form(portal_number(volunteer.pk)))
    pdf = client.get(reverse("admin:points_certificate_pdf", args=[certificate.pk]))

    for response in (issued, pdf):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert Certificate.objects.count() == 1


# --- the volunteer's page -------------------------------------------------------------------


def test_the_volunteer_requests_one_in_the_name_of_their_township(client, people, tree, volunteer):
    # given
    client.force_login(people.volunteer)
    form = {"period_start": START.isoformat(), "period_end": END.isoformat()}

    # when, twice (a form sent again)
    first = client.post(MY_URL, form)
    second = client.post(MY_URL, form)

    # then one certificate, in the township institute's name
    assert first.status_code == second.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.self_service
    assert certificate.issuing_center == tree.township_a
    assert certificate.issued_by == people.volunteer
    assert (certificate.hours, certificate.services) == (Decimal("3.50"), 2)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"period_start": END.isoformat(), "period_end": START.isoformat()},
            "截止日期不能早于起始日期。",
        ),
        (
            {
                "period_start": START.isoformat(),
                "period_end": (TODAY + datetime.timedelta(days=3)).isoformat(),
            },
            "证明期间不能晚于今天",
        ),
        ({"period_start": "昨天", "period_end": END.isoformat()}, "请填写有效的日期。"),
        ({"period_end": END.isoformat()}, "请填写起始日期。"),
    ],
)
def test_bad_input_on_the_volunteers_page_gets_a_chinese_error_and_writes_nothing(
    client, people, volunteer, form, message
):
    client.force_login(people.volunteer)

    response = client.post(MY_URL, form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_page_lists_the_volunteers_own_certificates_only(client, people, tree, certificate):
    # given another volunteer's certificate
    other = make_volunteer(2, tree.village_a, name="王志愿")
    credited(other, 101, "1.00", at(START.replace(month=3)))
    theirs = certificate_issue(
        actor=people.county_cadre,
        volunteer_id=other.pk,
        start=START,
        end=END,
        issuing_center_id=tree.county_a.pk,
    )
    client.force_login(people.volunteer)

    # when: session, account, volunteer, the top bar's badges, the certificates with their
    # centers
    response = exact_get(client, MY_URL, 5)

    # then
    page = response.content.decode()
    assert certificate.number in page
    assert "服务 2 次，3.50 小时" in page
    assert "衡州路街道新时代文明实践所" in page
    assert reverse("points:my_certificate_pdf", args=[certificate.pk]) in page
    assert theirs.number not in page
    assert response.context["certificates"] == [certificate]
    # and the other's PDF is absent for them
    other_pdf = reverse("points:my_certificate_pdf", args=[theirs.pk])
    assert client.get(other_pdf).status_code == 404


def test_the_page_costs_the_same_for_many_certificates(client, people, tree, volunteer):
    for _ in range(3):
        certificate_issue(
            actor=people.county_cadre,
            volunteer_id=volunteer.pk,
            start=START,
            end=END,
            issuing_center_id=tree.county_a.pk,
        )
    client.force_login(people.volunteer)

    response = exact_get(client, MY_URL, 5)

    assert len(response.context["certificates"]) == 3


def test_someone_not_a_volunteer_is_told_and_can_request_nothing(client, people):
    client.force_login(people.resident)

    page = client.get(MY_URL)
    posted = client.post(MY_URL, {"period_start": START.isoformat(), "period_end": END.isoformat()})

    assert page.status_code == 200
    assert "您还不是注册志愿者" in page.content.decode()
    assert posted.status_code == 400
    assert not Certificate.objects.exists()
    with pytest.raises(DomainError) as refusal:
        certificate_request(user=people.resident, start=START, end=END)
    assert refusal.value.code == PointErrorCode.CERTIFICATE_NOT_A_VOLUNTEER


def test_a_cadres_own_pdf_route_is_the_volunteers_only(client, people, certificate):
    # A cadre prints through the admin; the volunteer's route knows only its volunteer.
    client.force_login(people.county_cadre)

    response = client.get(reverse("points:my_certificate_pdf", args=[certificate.pk]))

    assert response.status_code == 404


def test_anonymous_is_asked_to_sign_in_for_the_page_and_the_pdf(client, certificate):
    for url in (MY_URL, reverse("points:my_certificate_pdf", args=[certificate.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(MY_URL, {"period_start": START.isoformat()}).status_code == 302
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize("object_id", ["abc", "1 OR 1=1", "-1", "99999999999999999999"])
def test_a_certificate_id_that_is_not_one_is_404_not_a_server_error(
    client, people, certificate, object_id
):
    client.force_login(people.county_cadre)

    pdf = client.get(reverse("admin:points_certificate_pdf", args=[object_id]))
    change = client.get(reverse("admin:points_certificate_change", args=[object_id]))
    client.force_login(people.volunteer)
    own = client.get(f"/volunteer/certificates/{object_id}/pdf/")

    assert (pdf.status_code, change.status_code, own.status_code) == (404, 404, 404)
