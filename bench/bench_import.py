"""``make bench-import``: a 130,000-row CSV imported in the background.

On a throwaway PostgreSQL: times the upload request of the admin's import page
(it only stores the file and queues the job), then the job itself (every row
checked, then all written in one transaction), run in-process as a worker
runs it. Prints both, the rows per second (wall and per CPU second of this
process; PostgreSQL's own CPU is not counted) and the peak memory. Target: the
request well under 1 s; the job inside Lambda's 900 s.

``--orders``: an order (Fix) file instead, ``--rows`` Fixes over
``--clients`` existing clients (created first, outside the timing).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from datagen import REPO, bench_database

sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=130_000)
    parser.add_argument("--orders", action="store_true", help="import orders")
    parser.add_argument("--clients", type=int, default=13_000)
    args = parser.parse_args()
    # A broker that only holds the message: the upload request must not run the
    # job (no broker would mean Celery's eager mode, the demo's).
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")

    with bench_database(dbname="stitchengage_bench_import"):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client as HttpClient
        from django.test.utils import override_settings

        from customers.models import Client, ClientOrderSummary, ImportJob, Order
        from customers.services.background_import import import_job_run
        from tests.customers.csv_files import clients_csv, orders_csv
        from tests.customers.factories import ManagerFactory, StylistFactory

        StylistFactory(username="bench-a")
        manager = ManagerFactory()
        if args.orders:
            _clients_create(args.clients)
            content = orders_csv(args.rows, clients=args.clients)
            url, what = "/admin/customers/order/import/", "Fixes"
        else:
            content = clients_csv(args.rows)
            url, what = "/admin/customers/client/import/", "clients"
        print(f"file: {args.rows:,} rows, {len(content) / 1e6:.1f} MB")

        http = HttpClient()
        http.force_login(manager)
        # The web limit is for API Gateway; the bench measures the job on the
        # file a manager would upload with import_background.
        with override_settings(IMPORT_MAX_UPLOAD_BYTES=len(content) + 1):
            started = time.perf_counter()
            response = http.post(
                url,
                {
                    "resource": "0",
                    "format": "0",
                    "background": "on",
                    "import_file": SimpleUploadedFile("bench.csv", content),
                },
            )
            request_s = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        job = ImportJob.objects.get()
        print(f"upload request (store + queue): {request_s:.2f} s")

        started, cpu_started = time.perf_counter(), time.process_time()
        job = import_job_run(job_id=job.pk)
        job_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu_started
        assert job.status == "succeeded", job.errors[:5]
        if args.orders:
            assert Order.objects.count() == args.rows
            assert ClientOrderSummary.objects.count() == args.clients
        else:
            assert Client.objects.count() == args.rows
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"background job: {job_s:.1f} s for {job.created_count:,} {what} "
            f"({args.rows / job_s:,.0f} rows/s wall; {cpu_s:.1f} s CPU, "
            f"{args.rows / cpu_s:,.0f} rows per CPU second; checked, then "
            f"written in one transaction); peak RSS {peak_mb:.0f} MB"
        )


def _clients_create(count: int) -> None:
    """Create the clients an order file names (``clients_csv``'s emails)."""
    from customers.models import Client

    Client.objects.bulk_create(
        (
            Client(email=f"client{i}@example.com", first_name=f"First{i}")
            for i in range(count)
        ),
        batch_size=5000,
    )


if __name__ == "__main__":
    main()
