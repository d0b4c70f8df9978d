from django.urls import path

from cases.api import saved_views, views

app_name = "cases_api"

urlpatterns = [
    path("cases/", views.CaseListCreateApi.as_view(), name="list"),
    path("cases/<str:reference>/", views.CaseDetailApi.as_view(), name="detail"),
    path("cases/<str:reference>/timeline/", views.CaseTimelineApi.as_view(), name="timeline"),
    path(
        "cases/<str:reference>/acknowledge/",
        views.CaseAcknowledgeApi.as_view(),
        name="acknowledge",
    ),
    path("cases/<str:reference>/assign/", views.CaseAssignApi.as_view(), name="assign"),
    path("cases/<str:reference>/status/", views.CaseStatusApi.as_view(), name="status"),
    path("cases/<str:reference>/severity/", views.CaseSeverityApi.as_view(), name="severity"),
    path("cases/<str:reference>/notes/", views.CaseNoteApi.as_view(), name="notes"),
    path("cases/<str:reference>/links/", views.CaseLinkApi.as_view(), name="links"),
    path("cases/<str:reference>/merge/", views.CaseMergeApi.as_view(), name="merge"),
    path("cases/<str:reference>/resolve/", views.CaseResolveApi.as_view(), name="resolve"),
    path("cases/<str:reference>/reopen/", views.CaseReopenApi.as_view(), name="reopen"),
    path("cases/<str:reference>/close/", views.CaseCloseApi.as_view(), name="close"),
    path("customers/", views.CustomerListApi.as_view(), name="customers"),
    path("products/", views.ProductListApi.as_view(), name="products"),
    path("categories/", views.CategoryListApi.as_view(), name="categories"),
    path("root-causes/", views.RootCauseListApi.as_view(), name="root-causes"),
    path("teams/", views.TeamListApi.as_view(), name="teams"),
    # <str:>, not <int:>: a segment that is no id must reach the view for the API's JSON 404.
    path("teams/<str:team_id>/members/", views.TeamMemberListApi.as_view(), name="team-members"),
    path("saved-views/", saved_views.SavedViewListCreateApi.as_view(), name="saved-views"),
    path("saved-views/<str:view_id>/", saved_views.SavedViewDetailApi.as_view(), name="saved-view"),
]
