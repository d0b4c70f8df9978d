"""Every write to a case, one service per action (see the module of each sub-domain).

Each runs in a transaction, locks the case row, writes its timeline event and re-aligns the
SLA clocks; a refused action raises ``escalation.errors.DomainError`` saying why.
"""

from cases.services.attachments import (
    ALLOWED_ATTACHMENT_TYPES,
    attachment_safe_name,
    case_add_attachment,
)
from cases.services.bulk import BULK_MAX, BulkResult, cases_bulk_update
from cases.services.common import TAGS_MAX
from cases.services.customer import case_customer_message
from cases.services.lifecycle import (
    case_acknowledge,
    case_close,
    case_reopen,
    case_resolve,
    case_set_root_cause,
    case_set_status,
    status_refusal,
)
from cases.services.merge import case_merge
from cases.services.raising import EDITABLE_FIELDS, case_raise, case_update_details, tags_resolve
from cases.services.triage import (
    case_add_note,
    case_assign,
    case_change_severity,
    case_link,
    case_set_watching,
    case_unlink,
)

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "BULK_MAX",
    "EDITABLE_FIELDS",
    "REASON_MAX",
    "TAGS_MAX",
    "TEXT_MAX",
    "TITLE_MAX",
    "BulkResult",
    "attachment_safe_name",
    "case_acknowledge",
    "case_add_attachment",
    "case_add_note",
    "case_assign",
    "case_change_severity",
    "case_close",
    "case_customer_message",
    "case_link",
    "case_merge",
    "case_raise",
    "case_reopen",
    "case_resolve",
    "case_set_root_cause",
    "case_set_status",
    "case_set_watching",
    "case_unlink",
    "case_update_details",
    "cases_bulk_update",
    "status_refusal",
    "tags_resolve",
]
