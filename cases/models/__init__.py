from cases.models.case import (
    Attachment,
    Case,
    CaseLink,
    CaseQuerySet,
    Impact,
    Level,
    LinkKind,
    Severity,
    Source,
    Status,
)
from cases.models.directory import (
    Category,
    Contact,
    Customer,
    Product,
    RootCause,
    Tag,
    Team,
    Tier,
)
from cases.models.saved_view import SavedView
from cases.models.timeline import CaseEvent, CustomerChannel, EventKind

__all__ = [
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseLink",
    "CaseQuerySet",
    "Category",
    "Contact",
    "Customer",
    "CustomerChannel",
    "EventKind",
    "Impact",
    "Level",
    "LinkKind",
    "Product",
    "RootCause",
    "SavedView",
    "Severity",
    "Source",
    "Status",
    "Tag",
    "Team",
    "Tier",
]
