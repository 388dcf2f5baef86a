from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    """The library world's protocols, for other systems: SRU (search and retrieve over URL)."""

    name = "protocols"
    verbose_name = _("Library protocols")

    api_links: dict[str, str] = {}
    api_sections: list[dict[str, str]] = []
    # Beside the REST API, in the API docs' introduction (shelfmark.api.schema.app_sections).
    api_beside = (
        '**Library protocols**, for other library systems (README, "Connecting other '
        'systems"): [SRU 1.2 and 2.0](/sru) at `/sru` — `explain` without parameters; '
        "`searchRetrieve` with a CQL `query` (`dc.title`, `dc.creator`, `dc.subject`, "
        "`bath.isbn`, `rec.id`, `cql.anywhere`), `startRecord`, `maximumRecords` and "
        "`recordSchema` `marcxml` or `dc`; open to anyone, as the catalog is."
    )
