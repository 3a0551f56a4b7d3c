from django.urls import path

from voronka.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("trash/", views.trash, name="trash"),
    path("trash/restore/", views.trash_restore, name="trash-restore"),
]
