"""The SLA marks on the case (sla_breach_at, sla_warn_at, sla_paused, urgency_at), filled in from
the clocks, and the indexes the queue's SLA filters and "Most urgent" order read.

The backfill computes what ``sla.services.case_sla_marks`` computes, frozen here as it stood:
on PostgreSQL one UPDATE per 100,000 case ids from the clocks grouped by case (cases without
clocks keep the defaults); elsewhere (SQLite, small databases) case by case in Python.
"""

from __future__ import annotations

import datetime
from typing import Any

import django.db.models.functions.comparison
from django.db import migrations, models

BATCH = 100_000
ALLOWANCE_HOURS = {"S1": 0, "S2": 1, "S3": 2, "S4": 4}

MARKS_SQL = """
UPDATE cases_case AS c
SET sla_breach_at = m.breach_at,
    sla_warn_at = m.warn_at,
    sla_paused = m.paused,
    urgency_at = m.breach_at + CASE c.severity
        WHEN 'S2' THEN interval '1 hour'
        WHEN 'S3' THEN interval '2 hours'
        WHEN 'S4' THEN interval '4 hours'
        ELSE interval '0' END
FROM (
    SELECT case_id,
           LEAST(MIN(breached_at),
                 MIN(due_at) FILTER (WHERE stopped_at IS NULL AND paused_at IS NULL)) AS breach_at,
           MIN(warn_at) FILTER (WHERE stopped_at IS NULL AND paused_at IS NULL) AS warn_at,
           BOOL_OR(stopped_at IS NULL)
               AND NOT BOOL_OR(stopped_at IS NULL AND paused_at IS NULL) AS paused
    FROM sla_caseclock
    WHERE case_id >= %s AND case_id < %s
    GROUP BY case_id
) AS m
WHERE c.id = m.case_id AND (m.breach_at IS NOT NULL OR m.warn_at IS NOT NULL OR m.paused)
"""


def marks_fill(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    top = Case.objects.aggregate(top=models.Max("id"))["top"] or 0
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for start in range(0, top + 1, BATCH):
                cursor.execute(MARKS_SQL, [start, start + BATCH])
        return
    CaseClock = apps.get_model("sla", "CaseClock")
    for case in Case.objects.filter(clocks__isnull=False).distinct().iterator():
        clocks = list(CaseClock.objects.filter(case_id=case.pk))
        ticking = [c for c in clocks if c.stopped_at is None and c.paused_at is None]
        starts = [c.breached_at for c in clocks if c.breached_at] + [c.due_at for c in ticking]
        case.sla_breach_at = min(starts, default=None)
        case.sla_warn_at = min((c.warn_at for c in ticking), default=None)
        case.sla_paused = not ticking and any(c.stopped_at is None for c in clocks)
        case.urgency_at = (
            case.sla_breach_at + datetime.timedelta(hours=ALLOWANCE_HOURS[case.severity])
            if case.sla_breach_at
            else None
        )
        case.save(update_fields=["sla_breach_at", "sla_warn_at", "sla_paused", "urgency_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_customer_messages"),
        # The backfill reads the clocks' table as it stands after this one.
        ("sla", "0007_notification_kind_mentioned"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="sla_breach_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="sla_warn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="sla_paused",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="case",
            name="urgency_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(marks_fill, migrations.RunPython.noop, elidable=True),
        # After the backfill, so its updates do not maintain them.
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    models.F("urgency_at"),
                    models.Value(
                        datetime.datetime(9000, 1, 1, 0, 0, tzinfo=datetime.UTC),
                        output_field=models.DateTimeField(),
                    ),
                ),
                models.F("id"),
                condition=models.Q(
                    ("status__in", ("new", "acknowledged", "in_progress", "waiting"))
                ),
                name="case_open_urgency_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("new", "acknowledged", "in_progress", "waiting"))
                ),
                fields=["sla_breach_at", "sla_warn_at"],
                name="case_open_sla_breach_idx",
            ),
        ),
    ]
