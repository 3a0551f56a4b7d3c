from django.urls import path

from voronka.automation import views

app_name = "automation"

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<int:pk>/secret/", views.webhook_regenerate_secret, name="webhook-secret"),
    path("webhooks/<int:pk>/activate/", views.webhook_activate, name="webhook-activate"),
    path("webhooks/<int:pk>/test/", views.webhook_send_test, name="webhook-test"),
    path("webhooks/<int:pk>/deliveries/", views.delivery_list, name="delivery-list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery-resend"),
]
