"""The site's languages (settings.LANGUAGES) as the apps use them: a person's own language, or
the library's (LANGUAGE_CODE) when they have none or one the site no longer has."""

from __future__ import annotations

from typing import Any

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


def name_of(code: str | None) -> str:
    """The language's own name ("Deutsch"); of the library's for an empty code."""
    return str(get_language_info(language_or_default(code))["name_local"])


def choice(current: str) -> dict[str, Any]:
    """What a form choosing someone's language shows (shelfmark/_language_choice.html): each
    language by its own name, and "the library's" for none."""
    return {
        "languages": [(code, name_of(code)) for code in codes()],
        "current": current,
        "library_language": name_of(""),
    }
