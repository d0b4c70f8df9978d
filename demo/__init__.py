"""Demo data for `manage.py seed_demo`: the top of the app layers, free to import every app.

`reference_data.seed_reference_data` loads the demo people, teams, customers, calendars (with
public holidays) and SLA policies; it is idempotent.

`seeding.seed_cases` (`--cases N`, fast batch inserts) makes the cases. They read like a real
support desk's history: raised on working days and hours, more each month, weighted severities,
most resolved with a root cause and summary, the newest still open. Each case carries a few
timeline events, its SLA clocks (response, resolution, customer update) and breach facts, filled
in the way the clock sync and the SLA engine would have left them, in business time on each
policy's calendar (working hours, public holidays, time zone).

Rows are built in Python a batch at a time and written with COPY on PostgreSQL (bulk_create
elsewhere); a million cases take a few minutes, the 300 of `make run` well under a second.

The app has no models; this package imports none, so Django can load it as an app.
"""
