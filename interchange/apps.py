from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "interchange"
    verbose_name = "Imports and exports"

    # --- ISBN lookup (API docs section) ---
    # No link on the API root: its URL needs an ISBN (/api/v1/isbn/{isbn}/).
    api_sections = [
        {
            "name": "isbn",
            "description": (
                "ISBN lookup for adding books: the catalog's book when the library has it, else "
                "Open Library's details. Staff accounts with `catalog.add_book` only. When Open "
                "Library cannot be asked, the answer is a 200 with `source` `none` and a message."
            ),
        },
    ]
    # --- end of ISBN lookup ---
