from django.apps import AppConfig


class ShelfmarkConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "shelfmark"

    def ready(self) -> None:
        # <id:pk> in every app's URLs: registered before any URLconf is imported.
        from django.urls import register_converter

        from shelfmark.api.fields import IdConverter

        register_converter(IdConverter, "id")

        # ETags carry the application's start (shelfmark.conditional): taken here, as the apps
        # load, so that gunicorn's workers, forked from the preloaded master, share it. Taken
        # at a worker's first request, each worker would have its own, and a client sent to the
        # other worker would never get its 304.
        from shelfmark import conditional  # noqa: F401
