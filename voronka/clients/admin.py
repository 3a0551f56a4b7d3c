"""Configuration screens of the clients app: the tags clients are marked with."""

from django.contrib import admin

from voronka.clients.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
