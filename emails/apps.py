from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Re-engagement emails"

    def ready(self) -> None:
        from emails import receivers, receivers_ses

        receivers.connect()
        receivers_ses.connect()
