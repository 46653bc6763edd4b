from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Client book"

    def ready(self) -> None:
        from customers import receivers

        receivers.connect(self)
