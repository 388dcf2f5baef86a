"""Fines (settings.FINES_ENABLED): the amounts on patron categories and circulation rules, and
the ledger, whose entries PostgreSQL refuses to change or delete, as it does circulation events.
The Librarians and Administrators groups may read the ledger and add to it (payments, waivers)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from catalog.migrations._postgresql import postgresql_only
from core.migrations._grants import grant_to_groups


IMMUTABLE = """
CREATE OR REPLACE FUNCTION circulation_fineentry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'the fines ledger is a permanent record: ' || TG_OP || ' is not allowed',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER circulation_fineentry_immutable
    BEFORE UPDATE OR DELETE ON circulation_fineentry
    FOR EACH ROW EXECUTE FUNCTION circulation_fineentry_immutable();
"""
MUTABLE = """
DROP TRIGGER IF EXISTS circulation_fineentry_immutable ON circulation_fineentry;
DROP FUNCTION IF EXISTS circulation_fineentry_immutable();
"""
STAFF_GROUPS = ["Librarians", "Administrators"]


class Migration(migrations.Migration):

    dependencies = [
        ('circulation', '0009_hold_bumps_book_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FineEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('charge', 'Charge'), ('payment', 'Payment'), ('waiver', 'Waiver')], max_length=10)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=10)),
                ('note', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name_plural': 'fine entries',
                'ordering': ['-id'],
            },
        ),
        migrations.AddField(
            model_name='circulationrule',
            name='fine_grace_days',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='circulationrule',
            name='fine_max_per_loan',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name='circulationrule',
            name='fine_per_day',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name='patroncategory',
            name='fine_grace_days',
            field=models.PositiveSmallIntegerField(default=0, help_text='Open days late that cost nothing; past them, every day counts.'),
        ),
        migrations.AddField(
            model_name='patroncategory',
            name='fine_max_per_loan',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Empty: no maximum.', max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name='patroncategory',
            name='fine_per_day',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='0: no fines.', max_digits=8),
        ),
        migrations.AddField(
            model_name='patroncategory',
            name='fines_block_at',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Fines owed from which a patron may not borrow; empty: never.', max_digits=8, null=True),
        ),
        migrations.AddConstraint(
            model_name='circulationrule',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fine_per_day__isnull', True), ('fine_per_day__gte', 0), _connector='OR'), models.Q(('fine_max_per_loan__isnull', True), ('fine_max_per_loan__gte', 0), _connector='OR')), name='circulationrule_fines_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='patroncategory',
            constraint=models.CheckConstraint(condition=models.Q(('fine_per_day__gte', 0), models.Q(('fine_max_per_loan__isnull', True), ('fine_max_per_loan__gte', 0), _connector='OR'), models.Q(('fines_block_at__isnull', True), ('fines_block_at__gt', 0), _connector='OR')), name='patroncategory_fines_not_negative'),
        ),
        migrations.AddField(
            model_name='fineentry',
            name='charge',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='waivers', to='circulation.fineentry'),
        ),
        migrations.AddField(
            model_name='fineentry',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='fineentry',
            name='loan',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fine_entries', to='circulation.loan'),
        ),
        migrations.AddField(
            model_name='fineentry',
            name='patron',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='fine_entries', to='circulation.patron'),
        ),
        migrations.AddIndex(
            model_name='fineentry',
            index=models.Index(fields=['patron', 'id'], name='fineentry_patron_idx'),
        ),
        migrations.AddIndex(
            model_name='fineentry',
            index=models.Index(fields=['loan'], name='fineentry_loan_idx'),
        ),
        migrations.AddConstraint(
            model_name='fineentry',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='fineentry_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='fineentry',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['charge', 'payment', 'waiver'])), name='fineentry_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='fineentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'waiver'), ('charge__isnull', False)), models.Q(models.Q(('kind', 'waiver'), _negated=True), ('charge__isnull', True)), _connector='OR'), name='fineentry_waiver_names_its_charge'),
        ),
        migrations.AddConstraint(
            model_name='fineentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'charge'), _negated=True), ('loan__isnull', False), _connector='OR'), name='fineentry_charge_has_loan'),
        ),
        postgresql_only([IMMUTABLE], [MUTABLE]),
        grant_to_groups("circulation", ["view_fineentry", "add_fineentry"], STAFF_GROUPS),
    ]
