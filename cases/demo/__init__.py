"""Demo case generation for `manage.py seed_demo --cases N` (fast batch inserts).

The cases read like a real support desk's history: raised on working days and hours, more each
month, weighted severities, most resolved with a root cause and summary, the newest still open.
Each case carries a few timeline events and its SLA clocks (response and resolution), filled in
the way the SLA engine would have left them. Business time is approximated by calendar time.

Rows are built in Python a batch at a time and written with COPY on PostgreSQL (bulk_create
elsewhere); a million cases take a few minutes, the 300 of `make run` well under a second.
"""

from cases.demo.seeding import seed_cases

__all__ = ["seed_cases"]
