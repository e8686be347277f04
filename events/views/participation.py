"""Stub: replaced by the module's owner."""

urlpatterns: list = []
