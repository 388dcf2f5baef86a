"""The notices' default wording, as it changed after 0004: dates in the site's long format
(``{{ due_on|date }}``), counts of days through ngettext (``{{ days_overdue_text }}``)
instead of ``|pluralize``, and the library's name (``{{ library_name }}``) in the signature.

Only templates that still have 0004's wording change; a template staff have edited stays theirs.
Both versions are frozen copies of circulation.notices.DEFAULT_TEMPLATES.
"""

from django.db import migrations

BEFORE = {
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

AFTER = {
    'due_soon': (
        'Due soon: {{ title }}',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" by {{ author|default:"an unknown author" }} (copy {{ barcode }}) is due back on {{ due_on|date }}.\n'
            '\n'
            "Please return it by then, or renew it if you need it longer: at the desk, or signed in to your account on the library's site.\n"
            '\n'
            'Thank you,\n'
            '{{ library_name }}\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_1': (
        'Overdue: {{ title }}',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" (copy {{ barcode }}) was due back on {{ due_on|date }}, {{ days_overdue_text }} ago.\n'
            '\n'
            'Please return it as soon as you can, so that others can borrow it too.\n'
            '\n'
            'Thank you,\n'
            '{{ library_name }}\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_2': (
        'Second reminder: {{ title }} is overdue',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            '"{{ title }}" (copy {{ barcode }}) is still out: it was due back on {{ due_on|date }}, {{ days_overdue_text }} ago.\n'
            '\n'
            'Please bring it back to the library this week.\n'
            '\n'
            'Thank you,\n'
            '{{ library_name }}\n'
            '{{ library_url }}\n'
        ),
    ),
    'overdue_3': (
        'Final reminder: {{ title }} is overdue',
        (
            'Dear {{ patron_name }},\n'
            '\n'
            'This is our last reminder: "{{ title }}" (copy {{ barcode }}) was due back on {{ due_on|date }}, {{ days_overdue_text }} ago.\n'
            '\n'
            'Please return it now. If it is lost or damaged, tell us at the desk (card {{ card_number }}) and we will sort it out together.\n'
            '\n'
            'Thank you,\n'
            '{{ library_name }}\n'
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
            'Please collect it by {{ pickup_by|date }} with your card ({{ card_number }}); after that it goes to the next reader waiting.\n'
            '\n'
            'Thank you,\n'
            '{{ library_name }}\n'
            '{{ library_url }}\n'
        ),
    ),
}


def _replace(apps, old, new):
    NoticeTemplate = apps.get_model("circulation", "NoticeTemplate")
    for kind, (subject, body) in new.items():
        NoticeTemplate.objects.filter(
            kind=kind, subject=old[kind][0], body=old[kind][1]
        ).update(subject=subject, body=body)


def forwards(apps, schema_editor):
    _replace(apps, BEFORE, AFTER)


def backwards(apps, schema_editor):
    _replace(apps, AFTER, BEFORE)


class Migration(migrations.Migration):

    dependencies = [
        ("circulation", "0006_overrides_suspended_holds_card_renewal"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
