from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and API tokens"

    api_links = {"tokens": "token-list"}
    api_sections = [
        {
            "name": "tokens",
            "description": (
                "API tokens for scripts. Any signed-in user lists, issues and revokes their own; "
                "staff see and revoke everyone's and may issue tokens for other users (only a "
                "superuser for a superuser). The key is shown once, when it is issued."
            ),
        }
    ]

    def ready(self) -> None:
        from accounts import schema  # noqa: F401 - registers the OpenAPI auth extension
