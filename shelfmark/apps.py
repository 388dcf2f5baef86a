from django.apps import AppConfig


class ShelfmarkConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "shelfmark"
