from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from escalation.users import user_language_remember

        # The user's language goes into the session as they log in (any way: password, OIDC).
        user_logged_in.connect(user_language_remember, dispatch_uid="escalation-language")
