from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Re-engagement emails"

    def ready(self) -> None:
        from emails import checks, receivers, receivers_ses  # noqa: F401 - registers

        receivers.connect()
        receivers_ses.connect()
