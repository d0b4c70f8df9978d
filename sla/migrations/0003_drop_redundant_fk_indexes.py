"""Drop the single-column index of CaseClock.case: the unique caseclock_one_per_kind (case, kind)
starts with it. Only the index goes (a plain AlterField would re-validate the foreign key)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_drop_redundant_fk_indexes"),
        ("sla", "0002_engine"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS sla_caseclock_case_id_f9a9dad7",
                    "CREATE INDEX IF NOT EXISTS sla_caseclock_case_id_f9a9dad7"
                    " ON sla_caseclock (case_id)",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="caseclock",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="clocks",
                        to="cases.case",
                    ),
                ),
            ],
        ),
    ]
