"""Machine-raised escalations: events from monitoring (POST /api/events/), de-duplicated by key."""
