"""Big admin lists count no more rows than they can page."""

import pytest

from customers import pagination
from customers.models import Client
from customers.pagination import CappedCountPaginator

pytestmark = pytest.mark.django_db


def test_count_stops_at_the_cap(monkeypatch):
    """With more rows than the cap, the count is the cap; below it, exact."""
    Client.objects.bulk_create(
        Client(first_name="C", email=f"c{i}@example.com") for i in range(7)
    )
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    assert CappedCountPaginator(Client.objects.all(), 2).count == 5
    assert CappedCountPaginator(Client.objects.filter(email__lt="c3"), 2).count == 3


def test_row_checkbox_is_what_admin_actions_read(admin_client):
    """The row checkbox carries the name, value and class admin actions read."""
    client_row = Client.objects.create(first_name="Ann", email="ann@example.com")
    page = admin_client.get("/admin/customers/client/").content.decode()
    assert (
        f'<input type="checkbox" name="_selected_action" value="{client_row.pk}" '
        'class="action-select"'
    ) in page
