"""The customer's reply form on the status page: it validates input; the cases service
(``case_customer_message``) decides and writes."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from cases.forms import MultipleFileField, check_uploads
from escalation.forms import BootstrapForm
from escalation.text import TEXT_MAX


class StatusReplyForm(BootstrapForm):
    body = forms.CharField(
        label=_("Your message"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # The case uploads' limits and checks: as many files, as large, of the same types.
    attachments = MultipleFileField(
        label=_("Attach files"),
        help_text=_("Optional. PDF, images, text, CSV, JSON, ZIP, email and Office documents."),
    )

    def clean_attachments(self) -> list[UploadedFile]:
        return check_uploads(self.cleaned_data["attachments"])

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        body = str(cleaned.get("body") or "").strip()
        if not self.errors and not body and not cleaned.get("attachments"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return cleaned

    def attachment_contents(self) -> list[tuple[str, str, bytes]]:
        """The uploads as the service takes them: (file name, content type, content)."""
        files: list[UploadedFile] = self.cleaned_data["attachments"]
        return [(f.name or "", f.content_type or "", f.read()) for f in files]
