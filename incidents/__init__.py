"""Major incidents: one fault, many customers, run from a parent case (roles, tasks, updates)."""
