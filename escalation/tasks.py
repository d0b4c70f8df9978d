from celery import shared_task


@shared_task(name="escalation.tasks.ping")
def ping(value: str) -> str:
    """Round-trip check used by the health page's operators and the integration test."""
    return f"pong:{value}"
