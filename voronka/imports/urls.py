from django.urls import path

from voronka.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="job-list"),
    path("new/", views.job_create, name="job-create"),
    path("<int:pk>/", views.job_detail, name="job-detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="job-mapping"),
    path("<int:pk>/mapping/stages/", views.job_stage_values, name="job-stage-values"),
    path("<int:pk>/start/", views.job_start, name="job-start"),
    path("<int:pk>/rejected.csv", views.job_rejected, name="job-rejected"),
    path("<int:pk>/report.csv", views.job_report, name="job-report"),
    path("mappings/<int:pk>/download/", views.mapping_download, name="mapping-download"),
]
