"""A patron's language (for their notices), and notice wordings per kind and language.

The wordings stored so far are the English ones the earlier migrations seeded (and staff may
have edited): they become the English wordings. Other languages use the built-in wording,
translated, until staff word their own.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0010_fines"),
    ]

    operations = [
        migrations.AddField(
            model_name="patron",
            name="language",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="noticetemplate",
            name="language",
            field=models.CharField(default="en", max_length=10),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="noticetemplate",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due_soon", "Due soon"),
                    ("overdue_1", "First overdue reminder"),
                    ("overdue_2", "Second overdue reminder"),
                    ("overdue_3", "Third overdue reminder"),
                    ("hold_ready", "Hold ready"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterModelOptions(
            name="noticetemplate",
            options={"ordering": ["kind", "language"]},
        ),
        migrations.AddConstraint(
            model_name="noticetemplate",
            constraint=models.UniqueConstraint(
                fields=("kind", "language"), name="noticetemplate_one_each"
            ),
        ),
    ]
