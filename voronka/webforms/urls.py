from django.urls import path

from voronka.webforms.views import public, settings

app_name = "webforms"

urlpatterns = [
    path("forms/", settings.form_list, name="form-list"),
    path("forms/new/", settings.form_create, name="form-create"),
    path("forms/<int:pk>/", settings.form_detail, name="form-detail"),
    path("forms/<int:pk>/edit/", settings.form_edit, name="form-edit"),
    path("forms/<int:pk>/new-key/", settings.form_rotate_key, name="form-rotate-key"),
    # The public address other sites post to: the key is the only secret.
    path("f/<str:key>/", public.public_form, name="public"),
]
