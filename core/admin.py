"""The one base for admins of service-backed models (CONTRIBUTING.md), and the worker heartbeats (read-only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import WorkerHeartbeat


def form_fields(form: forms.ModelForm[Any], names: list[str] | None = None) -> dict[str, Any]:
    """The form's model-field values: `names`, or what the user changed."""
    model_fields = {f.name for f in form._meta.model._meta.concrete_fields}
    wanted = form.changed_data if names is None else names
    return {name: form.cleaned_data[name] for name in wanted if name in model_fields and name in form.cleaned_data}


def refusal_text(exc: DomainError | ValidationError) -> str:
    """The sentence an admin message shows for a refused write."""
    return exc.detail if isinstance(exc, DomainError) else "; ".join(exc.messages)


def adopt_saved(target: Model, saved: Model) -> None:
    """Copy a row the service saved onto the admin's instance (the admin logs and redirects with it)."""
    for f in target._meta.concrete_fields:
        setattr(target, f.attname, getattr(saved, f.attname))
    target._state.adding = False
    target._state.db = saved._state.db


REFUSED = "_service_refused"


def _refused_form(form_class: type[forms.ModelForm[Any]]) -> type[forms.ModelForm[Any]]:
    """The admin's form class, made invalid: shown again with its values after the service refused them."""

    def clean(self: forms.ModelForm[Any]) -> dict[str, Any]:
        form_class.clean(self)
        raise ValidationError(_("Nothing was saved: change the values and save again."))

    return type(form_class.__name__, (form_class,), {"clean": clean})


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


class ServiceAdmin(admin.ModelAdmin[Any]):
    """Writes go through the app's services: `create_service(**fields)` and `update_service(<instance_kwarg>=obj,
    **changed)`. A rule the service refuses (a DomainError or ValidationError raised while saving) is shown as an
    admin message, and the whole save is rolled back: nothing changes.

    Subclasses add what a service needs besides the form's fields in `service_fields` (e.g. who asks), and turn a
    service's result into the saved row in `service_saved` (e.g. to report what the save also did).
    """

    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    instance_kwarg: str
    # On a refusal, show the form again with what was entered (instead of an empty one after a redirect).
    keep_input_on_refusal = False

    def service_fields(self, request: HttpRequest, form: forms.ModelForm[Any], change: bool) -> dict[str, Any]:
        """The form's values the service takes: what changed (on change) or everything (on add)."""
        return form_fields(form, None if change else list(form.cleaned_data))

    def service_saved(self, request: HttpRequest, result: Any) -> Model:
        """The saved row from what the service returned (by default the row itself)."""
        saved: Model = result
        return saved

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = self.service_fields(request, form, change)
        if change:
            self.service_saved(request, self.update_service(**{self.instance_kwarg: obj}, **fields))
        else:
            adopt_saved(obj, self.service_saved(request, self.create_service(**fields)))

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Django runs the form view in a transaction: a refusal raised out of it rolls every write of the save back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as exc:
            self.message_user(request, refusal_text(exc), messages.ERROR)
            if not (self.keep_input_on_refusal and request.method == "POST"):
                return HttpResponseRedirect(request.get_full_path())
        # The same POST again, its form now invalid (`get_form`): Django shows it with the values entered; the
        # refused save was rolled back and nothing is saved this time.
        setattr(request, REFUSED, True)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return _refused_form(form) if getattr(request, REFUSED, False) else form


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["hostname", "seen_at", "beats"]
    readonly_fields = ["hostname", "seen_at", "beats"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
