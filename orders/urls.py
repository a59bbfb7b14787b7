"""The order pages. Included at the site root because they live under two prefixes: the
residents' and cadres' /orders/ and the volunteers' /volunteer/tasks/ (the volunteers app
owns the rest of /volunteer/ and leaves these paths unmatched)."""

from django.urls import path

from orders.views import dispatch, resident, tasks, wishes

app_name = "orders"
urlpatterns = [
    path("orders/", resident.order_list, name="list"),
    path("orders/new/", resident.order_new, name="new"),
    path("orders/wishes/", wishes.wish_wall, name="wishes"),
    path("orders/wishes/<int:order_id>/claim/", wishes.wish_claim, name="wish_claim"),
    path("orders/dispatch/", dispatch.dispatch_list, name="dispatch_list"),
    path("orders/dispatch/<int:order_id>/", dispatch.order_dispatch, name="dispatch"),
    path("orders/<int:order_id>/", resident.order_detail, name="detail"),
    path("orders/<int:order_id>/cancel/", resident.order_cancel, name="cancel"),
    path("orders/<int:order_id>/rate/", resident.order_rate, name="rate"),
    path(
        "orders/<int:order_id>/confirm-service/",
        resident.order_service_confirm,
        name="confirm_service",
    ),
    path(
        "orders/<int:order_id>/dispute-service/",
        resident.order_service_dispute,
        name="dispute_service",
    ),
    path("orders/<int:order_id>/fulfil/", wishes.wish_fulfil, name="wish_fulfil"),
    path(
        "orders/<int:order_id>/confirm-claim/",
        wishes.wish_claim_confirm,
        name="wish_claim_confirm",
    ),
    path("volunteer/tasks/", tasks.task_list, name="tasks"),
    path("volunteer/tasks/next/", tasks.task_accept_next, name="task_accept_next"),
    path("volunteer/tasks/<int:order_id>/accept/", tasks.task_accept, name="task_accept"),
    path("volunteer/tasks/<int:order_id>/decline/", tasks.task_decline, name="task_decline"),
    path("volunteer/tasks/<int:order_id>/start/", tasks.task_start, name="task_start"),
    path("volunteer/tasks/<int:order_id>/complete/", tasks.task_complete, name="task_complete"),
]
