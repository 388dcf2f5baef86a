import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app may use and no app owns: the schedule runner (`manage.py run_schedule`)
    and its jobs' table, the purge of what is kept only for a while (`purge_old_records`), and
    the table of Idempotency-Key answers (settings.IDEMPOTENCY_KEY_MODEL)."""

    name = "core"
    verbose_name = _("Scheduled work and retries")

    def ready(self) -> None:
        from core import tasks
        from core.schedule import Periodic, schedule_register

        schedule_register(
            Periodic("purge_old_records", tasks.purge_old_records, datetime.timedelta(days=1))
        )
