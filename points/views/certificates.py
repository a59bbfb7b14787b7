"""The certificate pages: the volunteer's "我的服务证明" (request one for a period, download
its PDF) and the public verification page that the printed link and QR code open.

Plain forms, no JavaScript, one column for a phone. The views are thin over
points.services.certificates and points.selectors.certificates."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.errors import DomainError
from points.certificate_pdf import CertificateFontMissing, certificate_lines, certificate_pdf
from points.certificates import verification_code
from points.forms import PeriodForm
from points.models import Certificate
from points.selectors.certificates import (
    OWN_CERTIFICATES_SHOWN,
    certificate_verified,
    certificates_of,
)
from points.services.certificates import certificate_request
from volunteers.selectors import volunteer_of

logger = logging.getLogger("portal.points")


def verify_url(request: HttpRequest, certificate: Certificate) -> str:
    """The public address printed on the certificate and in its QR code."""
    path = reverse(
        "points:certificate_verify", args=[certificate.number, verification_code(certificate)]
    )
    if settings.CERTIFICATE_PUBLIC_URL:
        return settings.CERTIFICATE_PUBLIC_URL + path
    return request.build_absolute_uri(path)


def pdf_response(request: HttpRequest, certificate: Certificate) -> HttpResponse:
    """The certificate's PDF as a download, for the volunteer's page and the admin alike.
    A deployment without the CJK font gets a page saying so (503), not a server error."""
    try:
        content = certificate_pdf(certificate, verify_url(request, certificate))
    except CertificateFontMissing:
        logger.exception("certificate font missing")
        return render(request, "points/certificate_unavailable.html", status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=f"志愿服务证明-{certificate.number}.pdf"
        )
        or "attachment"
    )
    return response


@require_http_methods(["GET", "POST"])
@login_required
def my_certificates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A volunteer's certificates, and the form asking for one more."""
    volunteer = volunteer_of(request.user)
    form = PeriodForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and volunteer is not None and form.is_valid():
        try:
            certificate = certificate_request(
                user=request.user,
                start=form.cleaned_data["period_start"],
                end=form.cleaned_data["period_end"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                _("已开具志愿服务证明 %(number)s，可下载 PDF 打印。")
                % {"number": certificate.number},
            )
            return redirect("points:my_certificates")
    certificates = list(certificates_of(volunteer)[:OWN_CERTIFICATES_SHOWN]) if volunteer else []
    return render(
        request,
        "points/my_certificates.html",
        {"volunteer": volunteer, "form": form, "certificates": certificates},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def my_certificate_pdf(request: AuthenticatedHttpRequest, certificate_id: int) -> HttpResponse:
    """One of the volunteer's own certificates as a PDF; anyone else's is absent (404)."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    certificate = certificates_of(volunteer).filter(pk=certificate_id).first()
    if certificate is None:
        raise Http404
    return pdf_response(request, certificate)


@require_GET
def certificate_verify(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """Open to anyone, signed in or not: the certificate's figures with the name and ID
    number masked, or a refusal (404) for a number that was never issued, was altered, or
    whose code does not match."""
    certificate = certificate_verified(number, code)
    if certificate is None:
        return render(request, "points/certificate_refused.html", status=404)
    return render(
        request,
        "points/certificate_verify.html",
        {"certificate": certificate, "lines": certificate_lines(certificate, public=True)},
    )
