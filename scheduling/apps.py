from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        import scheduling.errors  # noqa: F401  (declares the app's error codes)
