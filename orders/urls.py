"""The order pages. Included at the site root because they live under two prefixes: the
residents' and cadres' /orders/ and the volunteers' /volunteer/tasks/ (the volunteers app
owns the rest of /volunteer/ and leaves these paths unmatched)."""

from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/new/", views.order_new, name="new"),
    path("orders/wishes/", views.wish_wall, name="wishes"),
    path("orders/wishes/<int:order_id>/claim/", views.wish_claim, name="wish_claim"),
    path("orders/dispatch/", views.dispatch_list, name="dispatch_list"),
    path("orders/dispatch/<int:order_id>/", views.order_dispatch, name="dispatch"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="cancel"),
    path("orders/<int:order_id>/rate/", views.order_rate, name="rate"),
    path("orders/<int:order_id>/fulfil/", views.wish_fulfil, name="wish_fulfil"),
    path(
        "orders/<int:order_id>/confirm-claim/",
        views.wish_claim_confirm,
        name="wish_claim_confirm",
    ),
    path("volunteer/tasks/", views.task_list, name="tasks"),
    path("volunteer/tasks/next/", views.task_accept_next, name="task_accept_next"),
    path("volunteer/tasks/<int:order_id>/accept/", views.task_accept, name="task_accept"),
    path("volunteer/tasks/<int:order_id>/decline/", views.task_decline, name="task_decline"),
    path("volunteer/tasks/<int:order_id>/start/", views.task_start, name="task_start"),
    path("volunteer/tasks/<int:order_id>/complete/", views.task_complete, name="task_complete"),
]
