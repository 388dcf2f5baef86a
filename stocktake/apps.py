from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StocktakeConfig(AppConfig):
    name = "stocktake"
    verbose_name = _("Stocktake")

    api_links = {"stocktakes": "stocktake-list"}
    api_sections = [
        {
            "name": "stocktakes",
            "description": (
                "Stocktakes (inventory) of the whole library or a shelf range: scan each copy "
                "on the shelves, close to get the copies not seen, mark them missing in one "
                "step. Staff with the stocktake permissions (the Librarians group); marking "
                "missing also needs `catalog.change_copy`. The staff page is /staff/stocktake/."
            ),
        }
    ]
