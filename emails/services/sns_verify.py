"""Parse and verify the Amazon SNS messages posted to ``/ses/events/``.

django-ses 4.8 verifies SignatureVersion 1 (SHA1) only, and a malformed body
raises inside it (a 500). This module is the verifier it lacks, written from
AWS's description of the check
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):

- every field of the envelope is type-checked before use;
- the certificate URL must be https on an SNS host, with no userinfo, port,
  query or fragment, and a ``SimpleNotificationService-*.pem`` path;
- the certificate is downloaded once per URL (a small in-process LRU), must be
  X.509 with an RSA key and currently valid;
- the signature is RSA PKCS#1 v1.5 over the canonical string: SHA1 for
  SignatureVersion 1, SHA256 for 2; any other version is refused.

A refusal raises ``SnsMessageRefused`` (400, or 413 for an oversized body); a
failure on AWS's side while fetching the certificate raises ``SnsUnavailable``
(503, so SNS retries the delivery).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.utils import timezone

# An SNS signing certificate is about 2 KB.
MAX_CERTIFICATE_BYTES = 64 * 1024
# (connect, read) seconds: a slow certificate host must not hold a Lambda.
DOWNLOAD_TIMEOUT = (3.05, 5)
CERTIFICATE_CACHE_SIZE = 16
# A 4096-bit RSA signature is 684 base64 characters; refuse anything far larger.
MAX_SIGNATURE_CHARS = 1024

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
MESSAGE_TYPES = (NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION)

SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "1": hashes.SHA1,  # SNS's default; SHA1 is what SignatureVersion 1 means.
    "2": hashes.SHA256,
}

_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}"
# sns.<region>.amazonaws.com, or sns.cn-<area>-<n>.amazonaws.com.cn in China.
SNS_HOST = re.compile(
    rf"sns\.(?:{_REGION}\.amazonaws\.com|cn-[a-z]+-[0-9]{{1,2}}\.amazonaws\.com\.cn)"
)
_CERTIFICATE_PATH = re.compile(r"/SimpleNotificationService-[A-Za-z0-9]{1,64}\.pem")


class SnsMessageRefused(Exception):  # noqa: N818 - reads as a verdict
    """The message is malformed, untrusted or not signed by SNS: answer 400."""

    status = 400

    def __init__(self, reason: str, *, topic: str = "", message_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.topic = topic
        self.message_id = message_id


class SnsBodyTooLarge(SnsMessageRefused):
    """The body is over ``AWS_SNS_EVENT_MAX_BODY_BYTES``: 413, never parsed."""

    status = 413


class SnsUnavailable(Exception):  # noqa: N818 - reads as a verdict
    """AWS did not answer (network error, 5xx): answer 503 so SNS retries."""

    status = 503


@dataclass(frozen=True)
class SnsMessage:
    """An SNS envelope whose fields all have the types AWS documents."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subject: str | None = None
    subscribe_url: str | None = None
    token: str | None = None
    signature_version: str | None = None
    signature: bytes | None = None
    signing_cert_url: str | None = None


def sns_body_limit() -> int:
    """Return the largest body accepted (SNS's own limit is 256 KB)."""
    return settings.AWS_SNS_EVENT_MAX_BODY_BYTES


def sns_message_parse(*, body: bytes, signed: bool = True) -> SnsMessage:
    """Return the envelope in ``body``, or raise ``SnsMessageRefused``.

    ``signed`` requires the signature fields; only a deployment with signature
    verification switched off passes ``False``.
    """
    limit = sns_body_limit()
    if len(body) > limit:
        raise SnsBodyTooLarge(f"body over {limit} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: 100,000 nested brackets exhaust the decoder's stack.
        raise SnsMessageRefused(f"body is not JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise SnsMessageRefused(f"body is a JSON {type(data).__name__}, not an object")

    topic = data.get("TopicArn") if isinstance(data.get("TopicArn"), str) else ""
    message_id = data.get("MessageId") if isinstance(data.get("MessageId"), str) else ""

    def refuse(reason: str) -> SnsMessageRefused:
        return SnsMessageRefused(reason, topic=topic, message_id=message_id)

    def text(name: str, *, required: bool = True) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value):
            raise refuse(f"{name} is missing or not a string")
        return value

    message_type = text("Type")
    if message_type not in MESSAGE_TYPES:
        raise refuse("unknown Type")
    confirmation = message_type != NOTIFICATION
    fields = {
        "type": message_type,
        "message_id": text("MessageId"),
        "topic_arn": text("TopicArn"),
        "message": text("Message"),
        "timestamp": text("Timestamp"),
        # Subject is signed only when present, and only in a Notification; a
        # null Subject counts as absent, as in AWS's PHP validator (isset).
        "subject": None if confirmation else text("Subject", required=False),
        "subscribe_url": text("SubscribeURL") if confirmation else None,
        "token": text("Token") if confirmation else None,
    }
    if signed:
        version = text("SignatureVersion")
        if version not in SIGNATURE_HASHES:
            raise refuse("unsupported SignatureVersion")
        fields["signature_version"] = version
        fields["signature"] = _signature_decode(text("Signature"), refuse)
        cert_url = text("SigningCertURL")
        if not sns_cert_url_trusted(url=cert_url):
            raise refuse("untrusted SigningCertURL")
        fields["signing_cert_url"] = cert_url
    return SnsMessage(**fields)


def _signature_decode(value: str, refuse: Callable[[str], SnsMessageRefused]) -> bytes:
    if len(value) > MAX_SIGNATURE_CHARS:
        raise refuse("Signature too long")
    try:
        signature = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise refuse("Signature is not base64") from exc
    if not signature:
        raise refuse("Signature is empty")
    return signature


def sns_string_to_sign(*, message: SnsMessage) -> bytes:
    """Return the canonical "Key\\nValue\\n" string SNS signed, in AWS's key order."""
    if message.type == NOTIFICATION:
        pairs = [
            ("Message", message.message),
            ("MessageId", message.message_id),
            ("Subject", message.subject),
            ("Timestamp", message.timestamp),
            ("TopicArn", message.topic_arn),
            ("Type", message.type),
        ]
    else:
        pairs = [
            ("Message", message.message),
            ("MessageId", message.message_id),
            ("SubscribeURL", message.subscribe_url),
            ("Timestamp", message.timestamp),
            ("Token", message.token),
            ("TopicArn", message.topic_arn),
            ("Type", message.type),
        ]
    return "".join(
        f"{key}\n{value}\n" for key, value in pairs if value is not None
    ).encode()


def _https_url_split(url: str) -> SplitResult | None:
    """Split an https ``url``; None for another scheme or an odd character."""
    # urlsplit silently drops tabs and newlines and lowercases the scheme, so
    # those are refused before it sees the URL.
    if not url.startswith("https://") or not url.isascii() or not url.isprintable():
        return None
    try:
        return urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None


def _sns_host_trusted(parts: SplitResult) -> bool:
    """Apply the rules both SNS URLs share: https, an SNS host, nothing else."""
    host = parts.netloc
    # netloc is the host alone: no "user@", no ":port" (not even ":443").
    if parts.scheme != "https" or not SNS_HOST.fullmatch(host):
        return False
    allowed = getattr(settings, "AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS", [])
    return not allowed or host in {name.lower() for name in allowed}


def sns_cert_url_trusted(*, url: str) -> bool:
    """Return whether ``url`` may be fetched as an SNS signing certificate.

    Without this check anyone could sign a message with their own key and point
    SigningCertURL at their own certificate.
    """
    parts = _https_url_split(url)
    return (
        parts is not None
        and _sns_host_trusted(parts)
        and bool(_CERTIFICATE_PATH.fullmatch(parts.path))
        and not parts.query
        and not parts.fragment
        and "?" not in url
        and "#" not in url
    )


def sns_subscribe_url_trusted(*, url: str, topic_arn: str) -> bool:
    """Return whether ``url`` is SNS's ConfirmSubscription link for ``topic_arn``.

    Confirming is a GET from inside our network, so the URL must be an SNS
    endpoint and ask for nothing but this topic's confirmation.
    """
    parts = _https_url_split(url)
    if parts is None or not _sns_host_trusted(parts) or parts.fragment:
        return False
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    return (
        parts.path in ("", "/")
        and len(query) == len(pairs)  # no repeated parameter
        and query.get("Action") == "ConfirmSubscription"
        and query.get("TopicArn") == topic_arn
    )


def sns_certificate_download(*, url: str) -> bytes:
    """Return the bytes at ``url``, at most ``MAX_CERTIFICATE_BYTES``.

    The one network call of a verification (tests patch it). requests checks
    the TLS certificate of the SNS host, which is what vouches for the PEM.
    """
    try:
        with requests.get(
            url, timeout=DOWNLOAD_TIMEOUT, stream=True, allow_redirects=False
        ) as response:
            if response.status_code >= 500:
                raise SnsUnavailable(
                    f"certificate host answered {response.status_code}"
                )
            if response.status_code != 200:
                raise SnsMessageRefused(
                    f"certificate host answered {response.status_code}"
                )
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=8192):
                size += len(chunk)
                if size > MAX_CERTIFICATE_BYTES:
                    raise SnsMessageRefused("certificate over the size limit")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise SnsUnavailable(
            f"certificate download failed ({type(exc).__name__})"
        ) from exc
    return b"".join(chunks)


@functools.lru_cache(maxsize=CERTIFICATE_CACHE_SIZE)
def _certificate_load(url: str) -> x509.Certificate:
    # lru_cache keeps no failures: a refused or unreachable URL is tried again
    # next time. Not Django's cache: whoever could write to a shared cache
    # could swap in their own key, and a per-process fetch is cheap.
    pem = sns_certificate_download(url=url)
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SnsMessageRefused("certificate is not an X.509 PEM") from exc


def sns_certificate_get(
    *, url: str, now: dt.datetime | None = None
) -> x509.Certificate:
    """Return the (cached) certificate at a trusted ``url`` if usable now."""
    certificate = _certificate_load(url)
    now = now or timezone.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsMessageRefused("certificate is not currently valid")
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise SnsMessageRefused("certificate key is not RSA")
    return certificate


def sns_certificate_cache_clear() -> None:
    """Forget every downloaded certificate (tests; a key rotation)."""
    _certificate_load.cache_clear()


def sns_signature_verify(*, message: SnsMessage) -> None:
    """Raise ``SnsMessageRefused`` unless SNS's certificate signed ``message``."""
    if (
        message.signing_cert_url is None
        or message.signature is None
        or message.signature_version not in SIGNATURE_HASHES
    ):
        raise SnsMessageRefused("message is not signed")
    public_key = sns_certificate_get(url=message.signing_cert_url).public_key()
    algorithm = SIGNATURE_HASHES[message.signature_version]()
    try:
        public_key.verify(
            message.signature,
            sns_string_to_sign(message=message),
            padding.PKCS1v15(),
            algorithm,
        )
    except InvalidSignature as exc:
        raise SnsMessageRefused("signature does not verify") from exc


def sns_topic_trusted(*, topic_arn: str) -> bool:
    """Return whether the topic is ours: a valid signature only proves it is AWS's."""
    return topic_arn in settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS
