from django.urls import path

from reviews.views import overview, related, review, satisfaction

app_name = "reviews"

urlpatterns = [
    path("", overview.dashboard, name="dashboard"),
    path("dashboard/customers/", overview.dashboard_customers_panel, name="dashboard_customers"),
    path("patterns/", overview.patterns, name="patterns"),
    path("risk/", overview.risk, name="risk"),
    path("reviews/", review.review_list, name="list"),
    path("reviews/<str:reference>/", review.review_edit, name="review"),
    path("actions/", review.actions_mine, name="actions_mine"),
    path("actions/<int:pk>/done/", review.action_done, name="action_done"),
    path("related/", related.related, name="related"),
    path("satisfaction/<str:token>/", satisfaction.satisfaction, name="satisfaction"),
]
