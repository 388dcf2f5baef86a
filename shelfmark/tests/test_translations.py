"""The site in every language it has: no template shows a word that is not marked for
translation, and each language the settings offer renders its pages, dates and numbers.

Whether the catalogs translate every marked text (and are compiled) is ./scripts/translations
--check, which CI runs: it needs GNU gettext, which the test command does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from catalog.tests.factories import BookFactory

ROOT = Path(settings.BASE_DIR)
# What a template's own words look like once its tags, variables, comments and scripts are
# taken out: any run of two letters left over is text nobody marked.
_REMOVED = [
    r"\{% comment %\}.*?\{% endcomment %\}",
    r"\{#.*?#\}",
    r"\{% block main_attributes %\}.*?\{% endblock %\}",  # an attribute of <main>, not text
    r"\{% blocktranslate.*?\{% endblocktranslate %\}",
    r"\{%.*?%\}",
    r"\{\{.*?\}\}",
    r"<script.*?</script>",
    r"<style.*?</style>",
]
# Attributes people read (a screen reader's too): their values are text like any other.
_READ_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|placeholder|alt|data-label)="([^"]*)"')


def _unmarked(source: str) -> list[str]:
    for pattern in _REMOVED:
        source = re.sub(pattern, "§", source, flags=re.DOTALL)
    found = _READ_ATTRIBUTES.findall(source)
    text = re.sub(r"&[a-z#0-9]+;", " ", re.sub(r"<[^>]*>", " ", source))
    found += re.findall(r"[^§\n]*[A-Za-z]{2,}[^§\n]*", text)
    return [" ".join(part.split()) for part in found if re.search(r"[A-Za-z]{2,}", part)]


def _templates() -> list[Path]:
    return sorted(
        path
        for pattern in ("*/templates/**/*.html", "*/templates/**/*.txt")
        for path in ROOT.glob(pattern)
        if ".venv" not in path.parts
    )


@pytest.mark.parametrize("template", _templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_word_a_template_shows_is_marked_for_translation(template):
    assert _unmarked(template.read_text()) == []


def test_the_check_finds_words_left_unmarked():
    assert _unmarked('<p>Due back {{ due }}</p><a title="Renew">{% translate "x" %}</a>') == [
        "Renew",
        "Due back",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_each_language_renders_the_catalog_with_its_dates_and_numbers(client, language):
    BookFactory(title="Effi Briest")
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    assert response.headers["Content-Language"] == language
    with translation.override(language):
        sign_in = translation.gettext("Sign in")
        number = formats.number_format(1234567, force_grouping=True)
    assert sign_in in response.content.decode()
    if language != "en":
        assert sign_in != "Sign in", f"{language}: the catalog's texts are not translated"
    assert number == {"en": "1,234,567", "de": "1.234.567"}.get(language, number)
