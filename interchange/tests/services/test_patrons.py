"""interchange.services.patrons: a class list in, through circulation's services."""

from __future__ import annotations

import io

import pytest

from circulation.models import Patron
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from interchange.formats import open_patron_source
from interchange.models import ImportRun, ImportStatus
from interchange.services.patrons import patrons_import

pytestmark = pytest.mark.django_db

CLASS_LIST = """Name,Card Number,Email,Category,Expires
Ana López,P0001,ana@example.org,Child,2027-06-30
Ben Ng,P0002,,child,
Cleo,P0003,not-an-email,Teacher,30/06/2027
,P0004,,Child,
"""


def imported(text: str, **options) -> ImportRun:
    run = ImportRun.objects.create(kind="patrons", source_name="class.csv", options=options)
    return patrons_import(open_patron_source(io.BytesIO(text.encode())), run)


@pytest.fixture(autouse=True)
def _category():
    PatronCategoryFactory(name="Child")


def test_a_class_list_goes_in_with_every_problem_of_a_bad_row_reported():
    run = imported(CLASS_LIST)

    assert run.status == ImportStatus.DONE
    assert (run.created, run.skipped, run.failed) == (2, 0, 2)
    ana = Patron.objects.get(card_number="P0001")
    assert (ana.name, ana.email, str(ana.expires_on), ana.category.name) == (
        "Ana López", "ana@example.org", "2027-06-30", "Child",
    )  # fmt: skip
    problems = list(run.problems.values_list("number", "field"))
    assert problems == [(4, "email"), (4, "category"), (4, "expires_on"), (5, "name")]
    assert "Known: Child." in run.problems.get(field="category").reason


def test_running_it_again_changes_nothing_and_update_takes_the_new_values():
    imported(CLASS_LIST)

    again = imported(CLASS_LIST)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)

    moved = imported(
        "Name,Card Number,Email,Category\nAna López,P0001,new@example.org,Child\n",
        on_duplicate="update",
    )
    assert (moved.updated, moved.skipped) == (1, 0)
    assert Patron.objects.get(card_number="P0001").email == "new@example.org"


def test_a_card_number_is_matched_whatever_the_name_says():
    PatronFactory(card_number="P0001", name="Someone Else")

    run = imported(CLASS_LIST)

    assert run.skipped == 1
    assert Patron.objects.get(card_number="P0001").name == "Someone Else"


def test_strict_imports_no_patron_when_one_row_is_bad():
    run = imported(CLASS_LIST, strict=True)

    assert run.status == ImportStatus.FAILED
    assert Patron.objects.count() == 0


def test_a_class_list_gives_each_patron_the_language_of_their_notices():
    run = imported(
        "Name,Card Number,Category,Language\n"
        "Greta,P0101,Child,Deutsch\n"
        "Hans,P0102,Child,de\n"
        "Ann,P0103,Child,English\n"
        "Lou,P0104,Child,\n"
        "Zed,P0105,Child,Klingon\n"
    )

    languages = dict(Patron.objects.values_list("card_number", "language"))
    assert languages == {"P0101": "de", "P0102": "de", "P0103": "en", "P0104": ""}
    (problem,) = run.problems.all()
    assert (problem.number, problem.field, problem.value) == (6, "language", "Klingon")
    assert "not one of the site's languages: en, de" in problem.reason
