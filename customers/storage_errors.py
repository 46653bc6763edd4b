"""What default storage raises when it cannot be reached, and the words for it.

On S3 (django-storages, boto3) an outage or a missing bucket is a botocore
error, not an ``OSError``; on local storage it is an ``OSError``. A missing
file is ``FileNotFoundError`` on both (django-storages maps S3's 404 to it),
and is told apart by the callers: it will not come back by waiting.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

#: Raised by ``default_storage`` when the store refuses or cannot be reached.
STORAGE_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError, OSError)

STORAGE_DOWN_WORDS = "the file store (S3) could not be reached; nothing was imported"


class StorageUnavailableError(Exception):
    """The file store refused a write or a read; shown to the user as is."""
