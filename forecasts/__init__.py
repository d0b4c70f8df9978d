"""Breach forecasts: how likely each running SLA clock is to breach, learned from history."""
