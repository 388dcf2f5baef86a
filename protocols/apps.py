from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    """The library world's protocols, for other systems: SRU (search and retrieve over URL)."""

    name = "protocols"
    verbose_name = _("Library protocols")

    api_links: dict[str, str] = {}
    api_sections: list[dict[str, str]] = []
