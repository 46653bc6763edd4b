"""Play Lambda's SQS poller against moto: receive, hand a batch over, delete the acked.

An SQS event source receives up to a batch of messages, invokes the function with
an event of the shape below, then deletes the records the function did not list
in ``batchItemFailures`` (with ReportBatchItemFailures on). Failed records stay
in flight until the queue's visibility timeout ends, and are received again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.moto_server import REGION


@dataclass(frozen=True)
class Delivery:
    """One poll: the records handed to the function and what it answered."""

    records: list[dict[str, Any]]
    response: dict[str, Any]

    @property
    def failed_ids(self) -> set[str]:
        return {item["itemIdentifier"] for item in self.response["batchItemFailures"]}

    @property
    def acked_ids(self) -> set[str]:
        return {r["messageId"] for r in self.records} - self.failed_ids


def lambda_record(message: dict[str, Any], *, queue_arn: str) -> dict[str, Any]:
    """Return a ReceiveMessage message as a record of Lambda's SQS event."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def sqs_receive(sqs, queue_url: str, *, max_messages: int = 10) -> list[dict]:
    """Receive what is visible now, with the system attributes Lambda passes on."""
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max_messages,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
        WaitTimeSeconds=0,
    ).get("Messages", [])


def sqs_deliver(
    sqs,
    queue_url: str,
    handler: Callable[[dict, object], dict],
    *,
    messages: list[dict] | None = None,
    delete: bool = True,
) -> Delivery:
    """Hand one batch to ``handler`` as Lambda does; delete the acknowledged records.

    ``delete=False`` plays a poller whose DeleteMessage was lost: SQS delivers the
    batch again after the visibility timeout, processed or not.
    """
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    if messages is None:
        messages = sqs_receive(sqs, queue_url)
    records = [lambda_record(message, queue_arn=arn) for message in messages]
    response = handler({"Records": records}, None)
    delivery = Delivery(records=records, response=response)
    for record in records:
        if delete and record["messageId"] in delivery.acked_ids:
            sqs.delete_message(
                QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"]
            )
    return delivery
