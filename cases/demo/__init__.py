"""Demo case generation for `manage.py seed_demo --cases N` (fast batch inserts).

The cases read like a real support desk's history: raised on working days and hours, more each
month, weighted severities, most resolved with a root cause and summary, the newest still open.
Each case carries a few timeline events, its SLA clocks (response, resolution, customer update)
and breach facts, filled in the way the clock sync and the SLA engine would have left them, in
business time on each policy's calendar (working hours, public holidays, time zone).

Rows are built in Python a batch at a time and written with COPY on PostgreSQL (bulk_create
elsewhere); a million cases take a few minutes, the 300 of `make run` well under a second.
"""

from cases.demo.seeding import seed_cases

__all__ = ["seed_cases"]
