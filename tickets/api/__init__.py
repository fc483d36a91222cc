"""The REST API for tickets (API.md): serializers, filters, views, urls."""
