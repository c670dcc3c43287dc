from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = _("Procurement")

    def ready(self) -> None:
        import procurement.errors  # noqa: F401  (declares the app's error codes)
