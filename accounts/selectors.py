"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from accounts.models import User


def user_list() -> QuerySet[User]:
    """Every user with the institution joined."""
    return User.objects.select_related("institution").order_by("username")


def user_get_by_email(*, email: str) -> User | None:
    """The active user with this e-mail address (case-insensitive), or None."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first()


def institution_list() -> QuerySet[Model]:
    """Every organisation a user may belong to; the model is named by the `institution` field, so accounts never
    imports facility (DESIGN.md 2)."""
    model = User._meta.get_field("institution").related_model
    assert isinstance(model, type)
    assert issubclass(model, Model)
    return model._default_manager.all()
