from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Client book"

    def ready(self) -> None:
        from . import signals

        # Keep role groups in step with customers.roles after every migrate, so
        # permissions of models added by later migrations reach the groups too.
        post_migrate.connect(
            signals.roles_resync, sender=self, dispatch_uid="customers.roles_resync"
        )
