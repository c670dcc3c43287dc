"""What the procurement admins share: money and first-publication fields, the base admin, locked fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin, refusal_text
from core.errors import DomainError
from procurement import services
from procurement.choices import Currency
from procurement.money import MINOR_UNITS, Money, money_columns


def request_user(request: HttpRequest) -> User:
    """The signed-in user (the admin lets no one else in)."""
    assert isinstance(request.user, User)
    return request.user


class MoneyWidget(forms.MultiWidget):
    """An amount and its currency side by side."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        amount = forms.TextInput(attrs={"inputmode": "decimal", "size": 16, "class": "money-amount"})
        super().__init__([amount, forms.Select(choices=Currency.choices)], attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, Money):
            return [value.amount, value.currency]
        return [None, Currency.KRW]


class MoneyFormField(forms.MultiValueField):
    """An amount in a currency as `Money`: no more decimals than the currency has (KRW none, EUR two)."""

    widget = MoneyWidget

    def __init__(self, *, required: bool = True, **kwargs: Any) -> None:
        fields = (forms.CharField(required=False), forms.ChoiceField(choices=Currency.choices))
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> Money | None:
        if not data_list or data_list[0] in (None, ""):
            return None
        amount, currency = data_list
        try:
            value = Decimal(str(amount).replace(",", "").strip())
        except InvalidOperation:
            raise ValidationError(_("Enter an amount such as 1234.50."), code="invalid") from None
        if not value.is_finite() or abs(value) >= Decimal(10) ** 15:
            raise ValidationError(_("Enter an amount such as 1234.50."), code="invalid")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MINOR_UNITS[currency]:
            raise ValidationError(
                _("%(currency)s has %(digits)s decimal places.")
                % {"currency": currency, "digits": MINOR_UNITS[currency]},
                code="precision",
            )
        return Money(value, currency)


PUBLISHED_AT_HELP = _(
    "When this information was first published, here or elsewhere (e.g. the bid notice in the national "
    "e-procurement system). It dates the OCDS release. Leave empty for now. It may not be before the process's "
    "previous release."
)


def published_at_field() -> forms.SplitDateTimeField:
    return forms.SplitDateTimeField(
        label=capfirst(_("first published at")),
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text=PUBLISHED_AT_HELP,
    )


class ProcurementForm(forms.ModelForm[Any]):
    """A form of a procurement record: Money fields show the stored amount; every step may carry its date."""

    money_fields: dict[str, str] = {}  # form field -> the model's `<prefix>` of `<prefix>_minor`/`_currency`
    first_published_at = published_at_field()  # the service's `published_at` (not a column of the record)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, prefix in self.money_fields.items():
            minor = getattr(self.instance, f"{prefix}_minor", None)
            if minor is not None and name in self.fields:
                self.initial[name] = Money.from_minor(minor, getattr(self.instance, f"{prefix}_currency"))


class ProcurementAdmin(ServiceAdmin):
    """Every write through one service with the signed-in officer; nothing is deleted; locked fields are read-only
    with the reason and a link to add an amendment, and a posted change to one is refused before it is checked."""

    service_keys: tuple[str, ...] = ()  # the form fields the service takes
    locked_note: Any = ""  # why the locked fields are locked (shown above them)
    # A refused save shows the form again with what the officer entered (amounts, dates, items), not an empty one.
    keep_input_on_refusal = True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_fields(self, request: HttpRequest, form: forms.ModelForm[Any], change: bool) -> dict[str, Any]:
        names = form.changed_data if change else list(form.cleaned_data)
        fields = {name: form.cleaned_data[name] for name in names if name in self.service_keys}
        if form.cleaned_data.get("first_published_at"):
            fields["published_at"] = form.cleaned_data["first_published_at"]
        return {**fields, "user": request_user(request)}

    # --- locked fields ---

    def locked_fields(self, obj: Any) -> frozenset[str]:
        """The form fields of `obj` that change only through an amendment now."""
        return frozenset()

    def amendment_link(self, obj: Any) -> str:
        return ""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            locked = self.locked_fields(obj)
            if locked:
                readonly += ["locked", *[name for name in self.service_keys if name in locked]]
        return readonly

    @admin.display(description=_("locked"))
    def locked(self, obj: Any) -> str:
        return format_html(
            '{} <a class="button" href="{}">{}</a>', self.locked_note, self.amendment_link(obj), _("Add an amendment")
        )

    @staticmethod
    def _model_fields(form: forms.ModelForm[Any], name: str) -> list[str]:
        prefix = getattr(form, "money_fields", {}).get(name)
        return [f"{prefix}_minor", f"{prefix}_currency"] if prefix else [name]

    def locked_change_refuse(self, request: HttpRequest, obj: Any) -> None:
        """Refuse a posted change to a locked field (e.g. from a form opened before the contract was signed)
        before its value is checked, as the API does: the officer is sent to an amendment."""
        locked = self.locked_fields(obj)
        if not locked:
            return
        form = self.get_form(request, None)(instance=obj)
        columns: dict[str, Any] = {}
        unreadable: list[str] = []
        for name in sorted(locked & set(form.fields)):
            field = form.fields[name]
            raw = field.widget.value_from_datadict(request.POST, request.FILES, form.add_prefix(name))
            if raw is None or (isinstance(raw, list) and all(part in (None, "") for part in raw)):
                continue  # not posted: not a change
            try:
                value = field.clean(raw)
            except ValidationError:
                unreadable.extend(self._model_fields(form, name))  # unreadable: not the stored value
                continue
            prefix = getattr(form, "money_fields", {}).get(name)
            columns.update(money_columns({name: value}, name, prefix) if prefix else {name: value})
        model_locked = frozenset(f for name in locked for f in self._model_fields(form, name))
        services.locked_change_refuse(obj, columns, locked=model_locked, unreadable=unreadable)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and object_id is not None:
            obj = self.get_object(request, object_id)
            if obj is not None:
                try:
                    self.locked_change_refuse(request, obj)
                except DomainError as exc:
                    self.message_user(request, refusal_text(exc), messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)


def form_errors_text(form: forms.Form) -> str:
    """A small form's errors as one admin message."""
    return "; ".join(str(message) for errors in form.errors.values() for message in errors)


def add_url(model: str, **params: Any) -> str:
    """The admin's add page of a procurement model, prefilled (`?contract=3`)."""
    url = reverse(f"admin:procurement_{model}_add")
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url
