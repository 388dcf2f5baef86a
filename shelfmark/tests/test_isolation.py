"""The suite's own isolation: what one test leaves does not reach the next (conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command


def _groups() -> dict[str, set[str]]:
    return {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_groups_the_migrations_made_with_their_rights():
    """A transactional test ends with a flush; the tests after it on the same worker still find
    the Librarians and the other groups, as migrated."""
    migrated = _groups()

    call_command("flush", interactive=False)

    assert "Librarians" in migrated
    assert _groups() == migrated
