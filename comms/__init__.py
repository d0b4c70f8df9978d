"""Customer communication: updates mailed to a case's contacts, their replies brought back onto
the case, and the case's status page. Built on ``cases`` and ``sla`` (its outbox)."""
