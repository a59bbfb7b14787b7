"""The points pages. Included at the site root because they live under several prefixes: the
volunteer's /volunteer/star-card/, /volunteer/benefits/ and /volunteer/certificates/ (the
volunteers app owns the rest of /volunteer/ and leaves these paths unmatched), and the
public /stars/verify/, /stars/notice/, /certificates/verify/, /leaderboard/ and /honours/."""

from django.urls import path

from points.views import (
    certificates,
    honours,
    leaderboards,
    ledger,
    notice,
    proof,
    stars,
    supermarket,
)

app_name = "points"
urlpatterns = [
    path("volunteer/star-card/", stars.star_card, name="star_card"),
    path("volunteer/star-card/code/", stars.star_card_code, name="star_card_code"),
    path("volunteer/benefits/", stars.benefits, name="benefits"),
    path("volunteer/certificates/", certificates.my_certificates, name="my_certificates"),
    path("volunteer/hours/offline/", proof.offline_claims, name="offline_claims"),
    path("volunteer/ledger/", ledger.my_ledger, name="my_ledger"),
    path("volunteer/supermarket/", supermarket.supermarket, name="supermarket"),
    path("volunteer/redemptions/", supermarket.redemptions, name="redemptions"),
    path(
        "volunteer/certificates/<int:certificate_id>/pdf/",
        certificates.my_certificate_pdf,
        name="my_certificate_pdf",
    ),
    # Opened by scanning the card or the certificate's QR code, signed in or not.
    path("stars/verify/<str:code>/", stars.star_verify, name="star_verify"),
    path(
        "certificates/verify/<str:number>/<str:code>/",
        certificates.certificate_verify,
        name="certificate_verify",
    ),
    # The public notice (公示) of star certifications, open to visitors.
    path("stars/notice/", notice.star_notice, name="notice"),
    path("stars/notice/<int:certification_id>/object/", notice.star_object, name="object"),
    # The public leaderboard, open to visitors as the notice is.
    path("leaderboard/", leaderboards.leaderboard, name="leaderboard"),
    # The city's confirmed annual honours, published as the notice is.
    path("honours/", honours.honours, name="honours"),
]
