"""The local AWS server answers the real boto3 client."""

from __future__ import annotations

import boto3


def test_boto3_talks_to_the_local_server(aws):
    sqs = boto3.client("sqs", endpoint_url=aws.endpoint_url)
    url = sqs.create_queue(QueueName="probe")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "hello"
    aws.reset()
    assert "QueueUrls" not in sqs.list_queues()
