"""What the facility admins share: inline formset logging and guard errors shown on the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.errors import DomainError


def reset_formset_log(formset: Any) -> None:
    # The admin's change message reads these lists, which formset.save() would normally fill.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def log_inline(formset: Any, form: Any, existed: bool) -> None:
    if existed:
        formset.changed_objects.append((form.instance, form.changed_data))
    else:
        formset.new_objects.append(form.instance)


def domain_error_to_form(form: forms.ModelForm[Any], call: Callable[[], object]) -> None:
    try:
        call()
    except DomainError as exc:
        form.add_error(None, exc.detail)
    except ValidationError as exc:
        form.add_error(None, exc)
