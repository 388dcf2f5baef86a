"""The site's languages (settings.LANGUAGES) as the apps use them: a person's own language, or
the library's (LANGUAGE_CODE) when they have none or one the site no longer has."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def language_or_default(code: str | None) -> str:
    return code if code in codes() else settings.LANGUAGE_CODE


def code_for(text: str) -> str | None:
    """The code of the site's language ``text`` names: its code ("de", "DE"), its own name
    ("Deutsch") or its English one ("German"), as a patron file or a form may spell it."""
    wanted = text.strip().lower()
    for code, name in settings.LANGUAGES:
        spellings = {code, str(name).lower(), get_language_info(code)["name"].lower()}
        if wanted in spellings:
            return code
    return None
