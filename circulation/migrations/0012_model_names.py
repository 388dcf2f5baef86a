"""The models' names, translated (the admin and the messages that name a model show them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0011_patron_language_notice_template_languages"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="calendarfeed",
            options={"verbose_name": "calendar feed", "verbose_name_plural": "calendar feeds"},
        ),
        migrations.AlterModelOptions(
            name="circulationevent",
            options={
                "ordering": ["-at", "-id"],
                "verbose_name": "circulation event",
                "verbose_name_plural": "circulation events",
            },
        ),
        migrations.AlterModelOptions(
            name="circulationrule",
            options={
                "verbose_name": "circulation rule",
                "verbose_name_plural": "circulation rules",
            },
        ),
        migrations.AlterModelOptions(
            name="closeddate",
            options={
                "ordering": ["date"],
                "verbose_name": "closed date",
                "verbose_name_plural": "closed dates",
            },
        ),
        migrations.AlterModelOptions(
            name="closedweekday",
            options={
                "ordering": ["weekday"],
                "verbose_name": "closed weekday",
                "verbose_name_plural": "closed weekdays",
            },
        ),
        migrations.AlterModelOptions(
            name="fineentry",
            options={
                "ordering": ["-id"],
                "verbose_name": "fine entry",
                "verbose_name_plural": "fine entries",
            },
        ),
        migrations.AlterModelOptions(
            name="hold",
            options={
                "ordering": ["book", "sequence"],
                "verbose_name": "hold",
                "verbose_name_plural": "holds",
            },
        ),
        migrations.AlterModelOptions(
            name="loan",
            options={
                "ordering": ["-checked_out_at", "-id"],
                "permissions": [
                    ("override_refusals", "Can lend anyway, overriding a refusal at checkout")
                ],
                "verbose_name": "loan",
                "verbose_name_plural": "loans",
            },
        ),
        migrations.AlterModelOptions(
            name="notice",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "notice",
                "verbose_name_plural": "notices",
            },
        ),
        migrations.AlterModelOptions(
            name="noticetemplate",
            options={
                "ordering": ["kind", "language"],
                "verbose_name": "notice template",
                "verbose_name_plural": "notice templates",
            },
        ),
        migrations.AlterModelOptions(
            name="patron",
            options={
                "ordering": ["name", "id"],
                "verbose_name": "patron",
                "verbose_name_plural": "patrons",
            },
        ),
        migrations.AlterModelOptions(
            name="patroncategory",
            options={
                "ordering": ["name", "id"],
                "verbose_name": "patron category",
                "verbose_name_plural": "patron categories",
            },
        ),
    ]
