"""System checks of the protocols' settings: ``manage.py check``, ``migrate`` and the Docker
image's start-up step run them, so a mistyped copy-cataloguing target stops the start with its
reason rather than breaking the staff page later."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from protocols.copycat.targets import configured_targets


@checks.register(checks.Tags.compatibility)
def copycat_targets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        configured_targets()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="protocols.E001")]
    return []
