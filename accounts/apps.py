from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_groups(sender: AppConfig, **kwargs: Any) -> None:
    # Permissions of apps migrated later appear only after their post_migrate: sync once the last app is done.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if not with_models or sender.label != with_models[-1].label:
        return
    from accounts.services import group_permissions_sync

    group_permissions_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        import accounts.errors  # noqa: F401  (declares the app's error codes)

        post_migrate.connect(_sync_groups, dispatch_uid="accounts.sync_groups")
