from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilityConfig(AppConfig):
    name = "facility"
    verbose_name = _("Facility")

    def ready(self) -> None:
        import facility.errors  # noqa: F401  (declares the app's error codes)
