from django.urls import path

from volunteers import views

app_name = "volunteers"
urlpatterns = [
    path("", views.volunteer_home, name="home"),
    path("apply/", views.volunteer_apply, name="apply"),
    path("preferences/", views.volunteer_preferences, name="preferences"),
    path("leave/", views.volunteer_leave, name="leave"),
    path("invitations/", views.roster_invitations, name="invitations"),
    path(
        "invitations/<int:invitation_id>/<str:answer>/",
        views.roster_invitation_answer,
        name="invitation_answer",
    ),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:team_id>/", views.team_detail, name="team_detail"),
    path("teams/<int:team_id>/members/", views.team_member_add, name="team_member_add"),
    path(
        "teams/<int:team_id>/members/<int:membership_id>/remove/",
        views.team_member_remove,
        name="team_member_remove",
    ),
]
