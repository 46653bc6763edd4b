import pytest
from customers.models import Client


@pytest.mark.django_db
def test_smoke():
    Client.objects.create(first_name="A", email="A@x.com")
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert Client.objects.get().email == "a@x.com"
