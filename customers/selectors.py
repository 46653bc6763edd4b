"""Reads of the client book, narrowed by who is asking."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .access import user_access_load
from .models import Client, Order
from .roles import MANAGERS, REVIEWERS, STYLISTS

User = AbstractBaseUser | AnonymousUser


def user_roles(user: User) -> set[str]:
    """Return the role group names of a user (cached on the user object).

    Read with the user's permissions in one query (``customers.access``): a
    request that asks for one asks for the other.
    """
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_stitch_roles"):
        user_access_load(user)
    return user._stitch_roles


def user_sees_all_clients(user: User) -> bool:
    """Return whether a user sees the whole client book, not only their own clients."""
    if not user.is_authenticated:
        return False
    roles = user_roles(user)
    return user.is_superuser or MANAGERS in roles or REVIEWERS in roles


def user_is_stylist_only(user: User) -> bool:
    """Return whether a user's view is limited to the clients assigned to them."""
    return (
        user.is_authenticated
        and STYLISTS in user_roles(user)
        and not user_sees_all_clients(user)
    )


def clients_visible_to(user: User, queryset: QuerySet[Client] | None = None):
    """Return the clients a user may see: all, or a stylist's own."""
    qs = Client.objects.all() if queryset is None else queryset
    if user_sees_all_clients(user):
        return qs
    if user_is_stylist_only(user):
        return qs.filter(stylist=user)
    return qs.none()


def orders_visible_to(user: User, queryset: QuerySet[Order] | None = None):
    """Return the orders of the clients a user may see."""
    qs = Order.objects.all() if queryset is None else queryset
    if user_sees_all_clients(user):
        return qs
    if user_is_stylist_only(user):
        return qs.filter(client__stylist=user)
    return qs.none()


def client_visible_to(user: User, client: Client) -> bool:
    """Return whether one client is in a user's book."""
    if user_sees_all_clients(user):
        return True
    return user_is_stylist_only(user) and client.stylist_id == user.pk
