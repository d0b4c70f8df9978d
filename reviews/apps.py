from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: Django imports this module before any model is loaded.
        from cases.events import CaseResolved, subscribe
        from reviews.services import review_on_case_resolved

        def review_open(event: CaseResolved) -> None:
            review_on_case_resolved(case=event.case, by=event.by)

        subscribe(CaseResolved, review_open)
