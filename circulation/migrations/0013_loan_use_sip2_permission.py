"""The permission to use SIP2 (protocols.sip2): the self-check kiosks' login needs it beside the
desk's permissions. No group is given it: a library gives it to the kiosks' own account."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0012_model_names"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="loan",
            options={
                "ordering": ["-checked_out_at", "-id"],
                "permissions": [
                    ("override_refusals", "Can lend anyway, overriding a refusal at checkout"),
                    ("use_sip2", "May use SIP2 (self-check kiosks)"),
                ],
                "verbose_name": "loan",
                "verbose_name_plural": "loans",
            },
        ),
    ]
