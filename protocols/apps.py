from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    """The library world's protocols, for other systems: SRU (search and retrieve over URL),
    Z39.50 (through a gateway to SRU), OAI-PMH (harvesting), SIP2 (self-check kiosks), and copy
    cataloguing from other libraries' catalogs."""

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
        "`recordSchema` `marcxml` or `dc`; [OAI-PMH 2.0](/oai?verb=Identify) at `/oai` for "
        "harvesters — the six verbs, `oai_dc` and `marc21`, sets by subject, `from`/`until` on "
        "the record's change time, deleted records; both open to anyone, as the catalog is. "
        "Z39.50 through a gateway to SRU (the compose profile `z3950`, port 2100) and SIP2 for "
        "self-check kiosks (`manage.py sip2_server`, port 6001) are not HTTP: the README says "
        "how to connect."
    )

    def ready(self) -> None:
        from protocols import checks  # noqa: F401 - registers the settings' checks
