import pytest


@pytest.fixture(autouse=True)
def _copy_statuses_agree_after_each_test(request):
    """Every circulation scenario ends with each copy's status agreeing with its loans and
    holds (circulation.selectors.status_disagreements)."""
    yield
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    from circulation.selectors import status_disagreements

    assert status_disagreements() == []
