"""exchange pages."""

urlpatterns: list = []
