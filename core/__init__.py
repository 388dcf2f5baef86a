"""The project's shared machinery with tables of its own, below every app: the schedule of
periodic work (each app registers its jobs), the one-shot commands' base, and the table of
Idempotency-Key answers. It names no app; the apps name it."""
