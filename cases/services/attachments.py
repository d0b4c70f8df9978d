"""Attachments: size and type limits, safe names, stored through Django's storage."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from cases.models import Attachment, Case, EventKind
from cases.permissions import can_contribute
from cases.services.common import case_lock, case_touch_and_sync, require
from cases.timeline import event_record
from escalation.errors import DomainError

# Content type -> the file name extensions it may carry. Anything else is refused: no HTML,
# SVG or scripts, which a browser could run if they were ever served inline.
ALLOWED_ATTACHMENT_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "text/plain": (".txt", ".log", ".text"),
    "text/csv": (".csv",),
    "application/json": (".json",),
    "application/zip": (".zip",),
    "message/rfc822": (".eml",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}
# Other names browsers give the same kinds of file (Firefox on Linux sends .log files as
# text/x-log, Windows browsers .csv files as application/vnd.ms-excel and .zip files as
# application/x-zip-compressed): accepted, and stored under the canonical type above.
ATTACHMENT_TYPE_ALIASES: dict[str, str] = {
    "text/x-log": "text/plain",
    "application/vnd.ms-excel": "text/csv",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "image/pjpeg": "image/jpeg",
}
NAME_MAX = 255
# How many files one action (an upload, a customer's message) may bring.
FILES_MAX = 10


def attachment_safe_name(name: str) -> str:
    """The uploader's name reduced to a harmless display name (no path, no odd characters)."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    try:
        safe = get_valid_filename(base)
    except SuspiciousFileOperation:
        # Names such as "..": nothing usable is left of them.
        safe = ""
    safe = safe.lstrip(".") or "attachment"
    if len(safe) > NAME_MAX:
        stem, ext = os.path.splitext(safe)
        safe = stem[: NAME_MAX - len(ext[:20])] + ext[:20]
    return safe


def attachment_check(upload: UploadedFile) -> tuple[str, str]:
    """Refuse an upload that is empty, too big or of a type we do not keep.

    Returns (safe name, content type).
    """
    size = upload.size or 0
    if size <= 0:
        raise DomainError(_("The file is empty."), field="attachments")
    if size > settings.ATTACHMENT_MAX_BYTES:
        limit_mb = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
        raise DomainError(
            _("%(upload)s is too large (%(size)s MB; at most %(limit)s MB).")
            % {
                "upload": upload.name,
                "size": number_format(size / (1024 * 1024), 1),
                "limit": number_format(limit_mb, 0),
            },
            field="attachments",
        )
    name = attachment_safe_name(upload.name or "")
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    content_type = ATTACHMENT_TYPE_ALIASES.get(content_type, content_type)
    extensions = ALLOWED_ATTACHMENT_TYPES.get(content_type)
    if extensions is None:
        raise DomainError(
            _(
                "%(name)s: files of type %(type)s are not accepted (PDF, images, text, CSV, "
                "JSON, ZIP, email and Office documents are)."
            )
            % {"name": name, "type": content_type or _("unknown")},
            field="attachments",
        )
    if not name.lower().endswith(extensions):
        raise DomainError(
            _(
                "%(name)s: the name does not match its type %(content_type)s "
                "(expected %(extensions)s)."
            )
            % {"name": name, "content_type": content_type, "extensions": ", ".join(extensions)},
            field="attachments",
        )
    return name, content_type


def attachment_store(
    *, case: Case, by: User | None, upload: UploadedFile, name: str, content_type: str
) -> Attachment:
    """Save the file under a random token (never the uploader's name) and write its row
    (``by`` None: the customer sent it).

    Call inside the caller's transaction; on failure the caller removes stored files with
    ``attachments_discard`` so a refused action leaves no file behind.
    """
    attachment = Attachment(
        case=case,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=by,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(attachment.token, upload, save=False)
    attachment.save()
    return attachment


def attachments_discard(stored: list[Attachment]) -> None:
    """Delete the files of attachments whose rows were rolled back."""
    for attachment in stored:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)


def case_add_attachment(*, case: Case, by: User, upload: UploadedFile) -> Attachment:
    require(by, lambda u: can_contribute(u, case))
    name, content_type = attachment_check(upload)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case = case_lock(case)
            now = timezone.now()
            attachment = attachment_store(
                case=case, by=by, upload=upload, name=name, content_type=content_type
            )
            stored.append(attachment)
            attachment_event(case=case, by=by, attachment=attachment)
            case_touch_and_sync(case, now=now, fields=[])
    except BaseException:
        attachments_discard(stored)
        raise
    return attachment


def attachment_event(*, case: Case, by: User | None, attachment: Attachment) -> None:
    event_record(
        case=case,
        actor=by,
        kind=EventKind.ATTACHMENT,
        to_value=attachment.original_name,
        data={
            "attachment": attachment.pk,
            "size": attachment.size,
            "type": attachment.content_type,
        },
    )
