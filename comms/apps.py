from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "customer communication"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: Django imports this module before any model is loaded.
        from cases import events
        from comms.outgoing import update_mails_on_updates_posted

        events.subscribe_many(events.CustomerUpdatePosted, update_mails_on_updates_posted)
        # The inbound webhook (django-anymail) hands every received message to comms.inbound.
        from anymail.signals import inbound

        from comms.webhook import inbound_from_webhook

        inbound.connect(inbound_from_webhook, dispatch_uid="comms.inbound_from_webhook")
