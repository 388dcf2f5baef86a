# The site's date formats in English (Django's format-file conventions). Two per kind: short for
# lists and tables, long for sentences. The weekday is in both, since a due date or a pickup
# date matters by its day of the week to whoever reads it.
DATE_FORMAT = "l j F Y"  # Sunday 27 December 2026
SHORT_DATE_FORMAT = "D j M Y"  # Sun 27 Dec 2026
DATETIME_FORMAT = "l j F Y, H:i"  # Sunday 27 December 2026, 14:05
SHORT_DATETIME_FORMAT = "D j M Y H:i"  # Sun 27 Dec 2026 14:05
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
