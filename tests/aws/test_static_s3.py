"""Static files on S3 through django-storages, with moto's S3 standing in for AWS.

``collectstatic`` uploads to the bucket with the same storage settings Lambda
uses (endpoint from ``AWS_ENDPOINT_URL``), and the admin's pages link their CSS
to the bucket, not to the Lambda (which serves no static files).
"""

from __future__ import annotations

import json
import runpy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "stitchengage-static-test"
# The bucket policy README "Deploy" asks for: anyone may read static/, nothing else.
STATIC_READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/static/*",
        }
    ],
}


class _Stylesheets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.hrefs.append(attrs["href"])


@pytest.fixture
def s3_static(aws, settings, monkeypatch):
    """An empty bucket, public under static/ as in production, and the storage
    settings settings.py makes when a bucket is configured."""
    s3 = boto3.client("s3", endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(STATIC_READ_POLICY))
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", BUCKET)
    production = runpy.run_path(str(ROOT / "stitchengage" / "settings.py"))
    settings.AWS_STORAGE_BUCKET_NAME = production["AWS_STORAGE_BUCKET_NAME"]
    settings.STORAGES = production["STORAGES"]
    return BUCKET


@pytest.mark.django_db
def test_collectstatic_uploads_and_the_admin_links_to_the_bucket(
    s3_static, aws, client
):
    """collectstatic fills the bucket; /admin/login/ links its CSS there."""
    call_command("collectstatic", "--noinput", verbosity=0)
    keys = {
        item["Key"]
        for page in boto3.client("s3", endpoint_url=aws.endpoint_url)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=s3_static, Prefix="static/")
        for item in page.get("Contents", [])
    }
    assert "static/admin/css/base.css" in keys

    response = client.get("/admin/login/")
    assert response.status_code == 200
    parser = _Stylesheets()
    parser.feed(response.content.decode())
    assert parser.hrefs
    endpoint = urlsplit(aws.endpoint_url)
    for href in parser.hrefs:
        url = urlsplit(href)
        assert (url.scheme, url.netloc) == (endpoint.scheme, endpoint.netloc), href
        assert url.path.startswith(f"/{s3_static}/static/"), href
        assert not url.query, href  # unsigned: cacheable, and valid forever
    # The linked stylesheet is really there, readable without credentials.
    base_css = next(href for href in parser.hrefs if href.endswith("base.css"))
    fetched = requests.get(base_css, timeout=10)
    assert fetched.status_code == 200
    assert "body" in fetched.text
