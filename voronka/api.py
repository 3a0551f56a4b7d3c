"""The REST API under /api/v1/: one NinjaAPI, one router per app."""

from ninja import NinjaAPI

api = NinjaAPI(title="Voronka API", version="1.0.0", urls_namespace="api")
