"""Media in an S3-compatible bucket (``MEDIA_S3_BUCKET``): a local S3 endpoint
(moto's server, over real HTTP) stands in for MinIO or S3.  The same dialogue,
worker and routes as with the folder; objects are encrypted and private."""

from __future__ import annotations

import boto3
import pytest
import responses
from moto.server import ThreadedMotoServer

from gateway.privacy import retention
from gateway.store.media import BucketStore, MediaStore
from tests.gateway.test_media import (
    PHONE,
    TO_DESCRIPTION,
    gps_jpeg,
    media_url,
    send,
    serve,
    stored,
)
from tests.helpers import free_port

BUCKET = "mpaka-media"


@pytest.fixture
def s3_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def bucket_app(twilio_app, s3_endpoint):
    twilio_app.config.update(MEDIA_S3_BUCKET=BUCKET, MEDIA_S3_ENDPOINT_URL=s3_endpoint)
    return twilio_app


@pytest.fixture
def twilio_app(app):
    from tests.gateway.test_media import SID, TOKEN

    app.config.update(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN)
    return app


def objects(endpoint: str) -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=endpoint)
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            for o in listed}


def test_photo_goes_to_the_bucket_encrypted_and_forget_removes_it(bucket_app, svc, run_worker,
                                                                  s3_endpoint):
    """With MEDIA_S3_BUCKET the worker stores the stripped photo as an encrypted
    object under the prefix, read back whole; forget deletes it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(s3_endpoint)  # the bucket is a real HTTP endpoint
        serve(mock, 21, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(bucket_app, text)
        send(bucket_app, media=[(media_url(21), "image/jpeg")])
        send(bucket_app, "1")  # may be contacted
        send(bucket_app, "1")
        run_worker()
    [attachment] = stored(svc)
    store = MediaStore.from_services(svc)
    assert isinstance(store, BucketStore)
    [(name, body)] = objects(s3_endpoint).items()
    assert name == f"media/{attachment.storage_key}"
    assert not body.startswith(b"\xff\xd8")  # encrypted, not a JPEG
    photo = store.get(attachment.storage_key)
    assert photo.startswith(b"\xff\xd8") and b"PhoneMakerX" not in photo
    assert retention.forget(svc, PHONE)["attachments"] == 1
    assert objects(s3_endpoint) == {} and stored(svc) == []


def test_doctor_checks_the_bucket(bucket_app, svc, s3_endpoint):
    """`mpaka doctor` writes and deletes a probe object; a missing bucket is a FAIL."""
    from gateway.cli.doctor import _media

    [finding] = _media(svc)
    assert (finding.check, finding.status) == ("MEDIA_S3_BUCKET", "ok")
    svc.config["MEDIA_S3_BUCKET"] = "no-such-bucket"
    [finding] = _media(svc)
    assert (finding.check, finding.status) == ("MEDIA_S3_BUCKET", "FAIL")
    assert objects(s3_endpoint) == {}
