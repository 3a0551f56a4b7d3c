from django.urls import path

from voronka.clients import views

app_name = "clients"

urlpatterns = [
    path("companies/", views.company_list, name="company-list"),
    path("companies/options/", views.company_options, name="company-options"),
    path("companies/export/<str:fmt>/", views.company_export, name="company-export"),
    path("companies/new/", views.company_create, name="company-create"),
    path("companies/<int:pk>/", views.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company-edit"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company-delete"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/export/<str:fmt>/", views.contact_export, name="contact-export"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
]
