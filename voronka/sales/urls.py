from django.urls import path

from voronka.sales import views
from voronka.sales.views import deals, leads

app_name = "sales"

urlpatterns = [
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/export/<str:fmt>/", deals.deal_export, name="deal-export"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/clients/", views.client_search, name="client-options"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal-edit"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal-delete"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal-move"),
    path("deals/<int:pk>/lines/add/", views.deal_line_add, name="deal-line-add"),
    path("deals/<int:pk>/lines/remove/", views.deal_line_remove, name="deal-line-remove"),
    path("board/", views.board, name="board"),
    path("board/<int:pk>/", views.board, name="board-pipeline"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/export/<str:fmt>/", leads.lead_export, name="lead-export"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/delete/", views.lead_delete, name="lead-delete"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead-qualify"),
    path("leads/<int:pk>/reject/", views.lead_reject, name="lead-reject"),
]
