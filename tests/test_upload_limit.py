"""An upload larger than any form accepts is refused from its Content-Length (413), before the
body is read: nothing is streamed to disk, nothing is stored."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import forms
from cases.models import Attachment, Status
from tests.cases.factories import case_in
from tests.cases.web import media
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
__all__ = ["media"]


def test_a_body_larger_than_every_file_at_its_largest_is_refused_unread(bob, media) -> None:
    case = case_in(Status.IN_PROGRESS)
    small = SimpleUploadedFile("log.txt", b"boot ok\n", content_type="text/plain")
    # The body sent is small; the Content-Length claims what a 1 GB upload would. The answer
    # comes from the header alone, so the server never waits for the rest.
    answer = client_for(bob).post(
        reverse("cases:attach", args=[case.reference]),
        {"attach-attachments": [small]},
        CONTENT_LENGTH=str(1024**3),
    )
    assert answer.status_code == 413
    assert "The upload is too large" in answer.content.decode()
    assert not Attachment.objects.exists()


def test_the_api_says_it_in_json(alice) -> None:
    answer = client_for(alice).post(
        "/api/cases/", b"{}", content_type="application/json", CONTENT_LENGTH=str(1024**3)
    )
    assert answer.status_code == 413
    assert "too large" in answer.json()["detail"]


def test_an_upload_within_the_limit_goes_through(bob, media) -> None:
    case = case_in(Status.IN_PROGRESS)
    small = SimpleUploadedFile("log.txt", b"boot ok\n", content_type="text/plain")
    answer = client_for(bob).post(
        reverse("cases:attach", args=[case.reference]), {"attach-attachments": [small]}
    )
    assert answer.status_code in (200, 302)
    assert Attachment.objects.count() == 1


def test_the_body_limit_follows_the_forms_file_count() -> None:
    assert settings.ATTACHMENTS_PER_UPLOAD == forms.MAX_FILES
    assert settings.UPLOAD_MAX_BODY_BYTES > forms.MAX_FILES * settings.ATTACHMENT_MAX_BYTES
