# The site's date formats in German (Django's format-file conventions), the same kinds as
# English's: short for lists and tables, long for sentences, each with the weekday.
DATE_FORMAT = "l, j. F Y"  # Sonntag, 27. Dezember 2026
SHORT_DATE_FORMAT = "D, d.m.Y"  # So, 27.12.2026
DATETIME_FORMAT = "l, j. F Y, H:i"  # Sonntag, 27. Dezember 2026, 14:05
SHORT_DATETIME_FORMAT = "D, d.m.Y H:i"  # So, 27.12.2026 14:05
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j. F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
