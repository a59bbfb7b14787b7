from django.urls import path

from points import notice_views, supermarket_views, views

app_name = "points"
urlpatterns = [
    path("volunteer/star-card/", views.star_card, name="star_card"),
    path("volunteer/star-card/code/", views.star_card_code, name="star_card_code"),
    path("volunteer/benefits/", views.benefits, name="benefits"),
    path("volunteer/supermarket/", supermarket_views.supermarket, name="supermarket"),
    path("volunteer/redemptions/", supermarket_views.redemptions, name="redemptions"),
    # Opened by scanning the card, signed in or not.
    path("stars/verify/<str:code>/", views.star_verify, name="star_verify"),
    # The public notice (公示) of star certifications, open to visitors.
    path("stars/notice/", notice_views.star_notice, name="notice"),
    path(
        "stars/notice/<int:certification_id>/object/",
        notice_views.star_object,
        name="object",
    ),
]
