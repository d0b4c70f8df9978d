"""Frozen weekly reports."""

from __future__ import annotations

from django.db import models


class WeeklySnapshot(models.Model):
    """The figures of one finished ISO week for one filter combination, computed once.

    ``payload`` holds everything the week's page, CSV files and PDF show, so a past week reads
    one row and never changes, whatever happens to its cases later. ``filters_key`` is
    ``ReportFilters.key`` ("" for the whole organisation). ``digest_sent_at`` is claimed with a
    conditional update so the executives' digest goes out once even if the task runs twice.
    """

    week_start = models.DateField(help_text="The Monday the ISO week starts on.")
    filters_key = models.CharField(max_length=100, blank=True, default="")
    payload = models.JSONField()
    computed_at = models.DateTimeField()
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "filters_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["filters_key", "week_start"], name="weeklysnapshot_one_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"Report of the week of {self.week_start} {self.filters_key}".rstrip()
