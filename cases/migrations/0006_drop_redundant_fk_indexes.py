"""Drop the single-column indexes of five foreign keys: a composite index starting with the same
column serves every lookup they did (case_customer_raised_idx, case_owner_status_idx,
case_raiser_status_idx, case_team_status_idx, caseevent_case_time_idx), and each costs every
insert. Only the indexes go: a plain AlterField would also drop and re-validate the foreign key
constraints (a scan of each table under lock)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [
    ("cases_case_customer_id_3e0cf925", "cases_case", "customer_id"),
    ("cases_case_owner_id_352cf2f7", "cases_case", "owner_id"),
    ("cases_case_raised_by_id_5fde9a1b", "cases_case", "raised_by_id"),
    ("cases_case_team_id_60679476", "cases_case", "team_id"),
    ("cases_caseevent_case_id_6c6031ac", "cases_caseevent", "case_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_caseevent_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="cases.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="owned_cases",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="raised_by",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="raised_cases",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="cases.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="cases.case",
                    ),
                ),
            ],
        ),
    ]
