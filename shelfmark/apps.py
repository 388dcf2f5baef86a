from django.apps import AppConfig


class ShelfmarkConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "shelfmark"

    def ready(self) -> None:
        # <id:pk> in every app's URLs: registered before any URLconf is imported.
        from django.urls import register_converter

        from shelfmark.api.fields import IdConverter

        register_converter(IdConverter, "id")
