"""Signals scoring sends; other apps (emails) listen without scoring importing them."""

from django.dispatch import Signal

# Sent after a bulk rescoring has written its snapshots, with ``snapshot_ids`` of
# the clients who moved into at_risk. Bulk writes fire no post_save, so the
# service announces them explicitly (CONVENTIONS: bulk paths enqueue explicitly).
clients_moved_into_at_risk = Signal()
