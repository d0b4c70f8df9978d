"""Helpers for the cases tests: cases in a given state, built without the services (the tests
of behaviour call the services themselves)."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, RootCause, Status, Tag
from tests.factories import CaseFactory, RootCauseFactory, UserFactory


def case_in(status: Status, **kwargs: Any) -> Case:
    """A case in ``status``; raised by one shared user unless told (a new user per case would
    hash a password per case, which is slow)."""
    if "raised_by" not in kwargs:
        User = get_user_model()
        kwargs["raised_by"] = User.objects.filter(username="raiser").first() or UserFactory(
            username="raiser"
        )
    return CaseFactory(status=status, **kwargs)


def root_cause(name: str = "Expired certificate", group: str = "Configuration") -> RootCause:
    parent = RootCause.objects.get_or_create(name=group, parent=None)[0]
    return RootCauseFactory(name=name, parent=parent)


def upload(
    name: str = "trace.txt", content: bytes = b"stack trace", content_type: str = "text/plain"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")
