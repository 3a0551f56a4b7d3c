"""settings pages."""

urlpatterns: list = []
