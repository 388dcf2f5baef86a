from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and API tokens")

    api_links = {"tokens": "token-list"}
    api_sections = [
        {
            "name": "tokens",
            "description": (
                "API tokens for scripts. Any signed-in user lists, issues and revokes their own; "
                "accounts with the token model's permissions (accounts.view_apitoken, "
                "accounts.delete_apitoken: superusers, or as granted) see and revoke everyone's, "
                "except superusers' tokens, which only a superuser may revoke. Issuing tokens "
                "for other users is for superusers and accounts given the permission "
                "accounts.issue_token_for_others (only a "
                "superuser for a superuser). A request signed with an API token that expires "
                "can only issue tokens that expire no later than that token; a browser session "
                "may issue any. Each token records who issued it. The key is shown once, when "
                "it is issued."
            ),
        }
    ]

    def ready(self) -> None:
        from accounts import schema  # noqa: F401 - registers the OpenAPI auth extension
