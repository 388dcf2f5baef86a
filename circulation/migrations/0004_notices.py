"""Notices (circulation.notices) and the schedule of periodic work (circulation.schedule).

The notice templates start with the default wording, a frozen copy of
circulation.notices.DEFAULT_TEMPLATES as it was when this migration was written (staff edit them
in the admin; a test checks that a fresh database has the current defaults). Librarians may read
the notice log and edit the templates; Administrators may also read the schedule.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

DEFAULT_TEMPLATES = {
    'due_soon': (
        'Due soon: {{ title }}',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" by {{ author|default:"an unknown author" }} (copy {{ barcode }}) is due back on {{ due_on|date:"l j F Y" }}.\n'
            '\n'
            "Please return it by then, or renew it if you need it longer: at the desk, or signed in to your account on the library's site.\n"
            '\n'
            'Thank you,\n'
            'Your library\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_1': (
        'Overdue: {{ title }}',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" (copy {{ barcode }}) was due back on {{ due_on|date:"l j F Y" }}, {{ days_overdue }} day{{ days_overdue|pluralize }} ago.\n'
            '\n'
            'Please return it as soon as you can, so that others can borrow it too.\n'
            '\n'
            'Thank you,\n'
            'Your library\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_2': (
        'Second reminder: {{ title }} is overdue',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" (copy {{ barcode }}) is still out: it was due back on {{ due_on|date:"l j F Y" }}, {{ days_overdue }} day{{ days_overdue|pluralize }} ago.\n'
            '\n'
            'Please bring it back to the library this week.\n'
            '\n'
            'Thank you,\n'
            'Your library\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_3': (
        'Final reminder: {{ title }} is overdue',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            'This is our last reminder: "{{ title }}" (copy {{ barcode }}) was due back on {{ due_on|date:"l j F Y" }}, {{ days_overdue }} day{{ days_overdue|pluralize }} ago.\n'
            '\n'
            'Please return it now. If it is lost or damaged, tell us at the desk (card {{ card_number }}) and we will sort it out together.\n'
            '\n'
            'Thank you,\n'
            'Your library\n'
            '{{ library_url }}\n'
        ),
    ),
    'hold_ready': (
        'Ready to collect: {{ title }}',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}", which you asked for, is waiting for you at the desk.\n'
            '\n'
            'Please collect it by {{ pickup_by|date:"l j F Y" }} with your card ({{ card_number }}); after that it goes to the next reader waiting.\n'
            '\n'
            'Thank you,\n'
            'Your library\n'
            '{{ library_url }}\n'
        ),
    ),
}

GRANTS = {
    "Librarians": ["view_notice", "view_noticetemplate", "change_noticetemplate"],
    "Administrators": [
        "view_notice", "view_noticetemplate", "change_noticetemplate", "view_scheduledjob",
    ],
}


def default_templates(apps, schema_editor):
    NoticeTemplate = apps.get_model("circulation", "NoticeTemplate")
    for kind, (subject, body) in DEFAULT_TEMPLATES.items():
        NoticeTemplate.objects.get_or_create(kind=kind, defaults={"subject": subject, "body": body})


def grant(apps, schema_editor):
    # Permissions are made after all migrations; these need them now.
    config = apps.get_app_config("circulation")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="circulation", codename__in=codenames
                )
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="circulation", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):

    dependencies = [
        ('circulation', '0003_calendar_feed'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScheduledJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('next_run_at', models.DateTimeField()),
                ('last_enqueued_at', models.DateTimeField(blank=True, null=True)),
                ('last_task_id', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='NoticeTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('due_soon', 'Due soon'), ('overdue_1', 'First overdue reminder'), ('overdue_2', 'Second overdue reminder'), ('overdue_3', 'Third overdue reminder'), ('hold_ready', 'Hold ready')], max_length=20, unique=True)),
                ('subject', models.CharField(max_length=200)),
                ('body', models.TextField()),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['kind'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['due_soon', 'overdue_1', 'overdue_2', 'overdue_3', 'hold_ready'])), name='noticetemplate_kind_valid'), models.CheckConstraint(condition=models.Q(models.Q(('subject', ''), _negated=True), models.Q(('body', ''), _negated=True)), name='noticetemplate_not_blank')],
            },
        ),
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('due_soon', 'Due soon'), ('overdue_1', 'First overdue reminder'), ('overdue_2', 'Second overdue reminder'), ('overdue_3', 'Third overdue reminder'), ('hold_ready', 'Hold ready')], max_length=20)),
                ('due_on', models.DateField(blank=True, help_text="The loan's due date it was about.", null=True)),
                ('notice_date', models.DateField(help_text='The day the notice was due to be sent.')),
                ('status', models.CharField(choices=[('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('no_email', 'Not sent: no email address')], max_length=20)),
                ('email', models.EmailField(blank=True, help_text='Where it was sent.', max_length=254)),
                ('subject', models.CharField(blank=True, max_length=255)),
                ('body', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('error', models.TextField(blank=True, help_text='Why the last attempt failed.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('hold', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='circulation.hold')),
                ('loan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='circulation.loan')),
                ('patron', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='circulation.patron')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['created_at', 'id'], name='notice_created_idx'), models.Index(fields=['patron', 'created_at'], name='notice_patron_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('loan__isnull', False)), fields=('loan', 'kind', 'due_on'), name='notice_once_per_loan_kind_and_due_date'), models.UniqueConstraint(condition=models.Q(('hold__isnull', False)), fields=('hold', 'kind'), name='notice_once_per_hold_and_kind'), models.CheckConstraint(condition=models.Q(models.Q(('hold__isnull', True), ('kind__in', ('due_soon', 'overdue_1', 'overdue_2', 'overdue_3')), ('loan__isnull', False), ('due_on__isnull', False)), models.Q(('hold__isnull', False), ('kind', 'hold_ready'), ('loan__isnull', True)), _connector='OR'), name='notice_about_a_loan_or_a_hold'), models.CheckConstraint(condition=models.Q(('status__in', ['sending', 'sent', 'failed', 'no_email'])), name='notice_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='notice_sent_has_time')],
            },
        ),
        migrations.RunPython(default_templates, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
    ]
