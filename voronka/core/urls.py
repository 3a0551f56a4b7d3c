from django.urls import path

from voronka.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("trash/", views.trash, name="trash"),
    path("trash/restore/", views.trash_restore, name="trash-restore"),
    path("export/", views.full_export, name="full-export"),
    path("export/start/", views.full_export_start, name="full-export-start"),
    path("export/<int:pk>/progress/", views.full_export_progress, name="full-export-progress"),
    path("export/<int:pk>/download/", views.full_export_download, name="full-export-download"),
]
