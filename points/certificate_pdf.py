"""The printable PDF of a service certificate, made by reportlab with a TrueType CJK font
embedded (a subset of CERTIFICATE_FONT_PATH, Debian's wqy-microhei by default), so that
it shows the same on a phone or a printer that has no Chinese font of its own.

reportlab embeds TrueType outlines (FontFile2) only: Noto CJK's CFF outlines it cannot
embed, which is why the font is wqy-microhei's .ttc and not fonts-noto-cjk.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from core.masking import mask_name
from points.models import Certificate
from volunteers.identity import mask_id_number
from volunteers.models import portal_number

FONT_NAME = "CertificateCJK"
RED = HexColor("#b71c1c")
INK = HexColor("#212121")
GREY = HexColor("#616161")


class CertificateFontMissing(ImproperlyConfigured):
    """The configured CJK font is not there: the deployment lacks fonts-wqy-microhei."""


@lru_cache(maxsize=1)
def _register_font(path: str, index: int) -> str:
    if not Path(path).is_file():
        raise CertificateFontMissing(
            f"CERTIFICATE_FONT_PATH={path!r} does not exist: install Debian's "
            "fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or point "
            "CERTIFICATE_FONT_PATH at another TrueType CJK font (.ttf or .ttc)."
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
    return FONT_NAME


def certificate_font() -> str:
    """The registered font's name; CertificateFontMissing when the file is missing."""
    return _register_font(settings.CERTIFICATE_FONT_PATH, settings.CERTIFICATE_FONT_INDEX)


def _day(value: object) -> str:
    return f"{value:%Y}年{value:%m}月{value:%d}日"


def _hours(certificate: Certificate) -> str:
    return f"{certificate.hours:.2f}"


def certificate_lines(certificate: Certificate, *, public: bool = False) -> list[tuple[str, str]]:
    """The certificate's facts as (label, value), as printed and as the pages show them;
    ``public`` (the verification page anyone may open) masks the name (张**)."""
    lines = [
        (_("姓名"), mask_name(certificate.real_name) if public else certificate.real_name),
        (
            _("身份证号码"),
            mask_id_number(certificate.id_number_first4, certificate.id_number_last4),
        ),
        (_("志愿者编号"), portal_number(certificate.volunteer_id)),
        (_("全国志愿服务信息系统编号"), certificate.national_number or _("未登记")),
        (
            _("证明期间"),
            _("%(start)s 至 %(end)s")
            % {"start": _day(certificate.period_start), "end": _day(certificate.period_end)},
        ),
        (_("服务时长"), _("%(hours)s 小时") % {"hours": _hours(certificate)}),
        (_("服务次数"), _("%(count)d 次") % {"count": certificate.services}),
        (_("出具单位"), certificate.issuing_center.title),
    ]
    return lines


def _draw_qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m", micro=False)
    matrix = qr.matrix
    border = 2
    modules = len(matrix) + 2 * border
    step = size / modules
    path = pdf.beginPath()
    for row_number, row in enumerate(matrix):
        for column_number, dark in enumerate(row):
            if dark:
                path.rect(
                    x + (column_number + border) * step,
                    y + size - (row_number + border + 1) * step,
                    step,
                    step,
                )
    pdf.setFillColor(INK)
    pdf.drawPath(path, fill=1, stroke=0)


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """One A4 page: the title, the statement, the facts, the issuing center and date, the
    number, and the verification link with its QR code."""
    font = certificate_font()
    buffer = io.BytesIO()
    width, height = A4
    # The CJK font from the first operator on: reportlab's default Helvetica would otherwise
    # sit in the page's resources as the one font not embedded.
    pdf = canvas.Canvas(
        buffer, pagesize=A4, pageCompression=1, initialFontName=font, initialFontSize=12
    )
    pdf.setTitle(_("志愿服务证明 %(number)s") % {"number": certificate.number})
    pdf.setAuthor(certificate.issuing_center.title)
    pdf.setSubject(_("志愿服务证明"))

    margin = 56
    pdf.setStrokeColor(RED)
    pdf.setLineWidth(2)
    pdf.rect(margin - 20, margin - 20, width - 2 * (margin - 20), height - 2 * (margin - 20))

    pdf.setFont(font, 10)
    pdf.setFillColor(GREY)
    pdf.drawRightString(
        width - margin, height - margin, _("证明编号：%(number)s") % {"number": certificate.number}
    )
    pdf.setFont(font, 28)
    pdf.setFillColor(RED)
    pdf.drawCentredString(width / 2, height - margin - 60, _("志愿服务证明"))

    statement = _(
        "兹证明 %(name)s（身份证号码 %(id)s，志愿者编号 %(number)s）为新时代文明实践"
        "志愿者。%(start)s 至 %(end)s 期间，经本平台记录，参加志愿服务 %(services)d 次，"
        "累计服务时长 %(hours)s 小时。"
    ) % {
        "name": certificate.real_name,
        "id": mask_id_number(certificate.id_number_first4, certificate.id_number_last4),
        "number": portal_number(certificate.volunteer_id),
        "start": _day(certificate.period_start),
        "end": _day(certificate.period_end),
        "services": certificate.services,
        "hours": _hours(certificate),
    }
    body = ParagraphStyle(
        "certificate", fontName=font, fontSize=14, leading=26, wordWrap="CJK", textColor=INK
    )
    paragraph = Paragraph(f"　　{statement}", body)
    _w, used = paragraph.wrap(width - 2 * margin, 200)
    top = height - margin - 100
    paragraph.drawOn(pdf, margin, top - used)
    closing = Paragraph(f"　　{_('特此证明。')}", body)
    _w, closing_height = closing.wrap(width - 2 * margin, 40)
    closing.drawOn(pdf, margin, top - used - closing_height - 4)

    y = top - used - closing_height - 50
    pdf.setStrokeColor(GREY)
    pdf.setLineWidth(0.5)
    for label, value in certificate_lines(certificate):
        pdf.setFont(font, 11)
        pdf.setFillColor(GREY)
        pdf.drawString(margin + 8, y, label)
        pdf.setFont(font, 12)
        pdf.setFillColor(INK)
        pdf.drawString(margin + 170, y, value)
        pdf.line(margin, y - 8, width - margin, y - 8)
        y -= 28

    y -= 30
    pdf.setFont(font, 13)
    pdf.setFillColor(INK)
    pdf.drawRightString(
        width - margin,
        y,
        _("出具单位（记录单位）：%(center)s") % {"center": certificate.issuing_center.title},
    )
    pdf.drawRightString(
        width - margin,
        y - 24,
        _("开具日期：%(day)s") % {"day": _day(timezone.localdate(certificate.issued_at))},
    )
    if certificate.self_service:
        pdf.setFont(font, 9)
        pdf.setFillColor(GREY)
        pdf.drawRightString(width - margin, y - 44, _("（志愿者通过平台自助开具）"))

    qr_size = 110
    qr_y = margin + 16
    _draw_qr(pdf, verify_url, margin, qr_y, qr_size)
    note = ParagraphStyle(
        "note", fontName=font, fontSize=9, leading=14, wordWrap="CJK", textColor=GREY
    )
    lines = Paragraph(
        _(
            "扫描二维码或访问以下网址核验本证明真伪：<br/>%(url)s<br/>"
            "本证明依据平台记录的志愿服务时长生成，数据以开具时的记录为准。"
        )
        % {"url": verify_url.replace("&", "&amp;")},
        note,
    )
    text_width = width - 2 * margin - qr_size - 16
    _w, note_height = lines.wrap(text_width, qr_size)
    lines.drawOn(pdf, margin + qr_size + 16, qr_y + (qr_size - note_height) / 2)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
