"""The S3 client snapshots are uploaded with: AWS's own SigV4 example, and a fake S3 on loopback that checks
every signature, refuses what S3 refuses, and sometimes lies."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.talos import pki
from components.talos.backups.s3 import EMPTY_SHA256, Request, S3Client, S3Error, authorization
from components.talos.backups.settings import S3Bucket

from .emulated import fresh_subnet
from .fake_s3 import FakeS3, FakeS3State

KEY_ID, SECRET = "AKIATESTKEY0000", "s3cr3t/Test+Key0000000000000000000000000"


def test_signing_matches_awss_published_s3_example() -> None:
    # docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object"
    request = Request("GET", "/test.txt", {}, {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9",
                                               "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": "20130524T000000Z"},
                      EMPTY_SHA256)
    header = authorization(request, access_key_id="AKIAIOSFODNN7EXAMPLE",
                           secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region="us-east-1",
                           when=datetime.datetime(2013, 5, 24, tzinfo=datetime.UTC))
    assert header == ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


@pytest.fixture
def s3() -> Iterator[FakeS3]:
    state = FakeS3State(KEY_ID, SECRET, buckets={"backups": {}})
    with FakeS3(f"{fresh_subnet()}.1", state) as server:
        yield server


def _client(server: FakeS3, *, secret: str = SECRET, bucket: str = "backups", ca: str = "") -> S3Client:
    return S3Client(S3Bucket(server.endpoint, bucket, "us-east-1", "", KEY_ID, secret, ca),
                    {"access_key_id": KEY_ID, "secret_access_key": secret}, timeout=5)


def test_a_snapshot_is_put_listed_and_deleted_under_its_prefix(s3: FakeS3, tmp_path: Path) -> None:
    snapshot = tmp_path / "homelab-2025-01-01T00:00:00.000Z.snap.age"
    snapshot.write_bytes(b"sealed" * 1000)
    client = _client(s3)
    client.check()
    key = "homelab/with space+plus/homelab-2025-01-01T00:00:00.000Z.snap.age"
    client.put(key, snapshot)
    assert s3.state.buckets["backups"][key] == snapshot.read_bytes()
    assert client.list("homelab/") == [key]
    client.delete(key)
    assert client.list("homelab/") == []


def test_listing_follows_continuation_tokens_page_by_page(s3: FakeS3, tmp_path: Path) -> None:
    s3.state.max_keys = 2
    s3.state.buckets["backups"].update({f"p/{index}": b"" for index in range(5)})
    assert _client(s3).list("p/") == [f"p/{index}" for index in range(5)]


def test_a_wrong_secret_is_refused_and_the_error_never_shows_a_key(s3: FakeS3) -> None:
    with pytest.raises(S3Error) as failure:
        _client(s3, secret="wrong" + SECRET[5:]).check()
    message = str(failure.value)
    assert "403" in message and "accessKeyId, secretAccessKey" in message
    assert SECRET[5:] not in message and KEY_ID not in message


def test_a_missing_bucket_says_which(s3: FakeS3) -> None:
    with pytest.raises(S3Error, match=r"check that bucket nowhere exists at http://"):
        _client(s3, bucket="nowhere").check()


def test_an_unreachable_endpoint_is_named_with_what_to_check(tmp_path: Path) -> None:
    bucket = S3Bucket(f"http://{fresh_subnet()}.1:9", "backups", "us-east-1", "", KEY_ID, SECRET)
    with pytest.raises(S3Error, match=r"is unreachable: .*check the endpoint"):
        S3Client(bucket, {"access_key_id": KEY_ID, "secret_access_key": SECRET}, timeout=2).check()


def test_a_list_reply_with_a_dtd_or_past_its_bound_is_refused(s3: FakeS3) -> None:
    s3.state.list_reply = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ListBucketResult/>'
    with pytest.raises(S3Error, match="not S3's XML"):
        _client(s3).list("p/")
    s3.state.list_reply = b"<ListBucketResult>" + b" " * (5 * 1024 * 1024) + b"</ListBucketResult>"
    with pytest.raises(S3Error, match="larger than"):
        _client(s3).list("p/")


def test_tls_is_verified_against_the_stacks_ca_certificate() -> None:
    now = datetime.datetime.now(datetime.UTC)
    ca = pki.new_certificate_authority("minio-ca", "ecdsa", now, False)
    address = f"{fresh_subnet()}.1"
    leaf = pki.issue_certificate(ca, organizations=[], common_name="minio", lifetime=datetime.timedelta(hours=1),
                                 now=now, server=True, client=False, ip_addresses=[address])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    from components.talos.api.tls import load_identity

    load_identity(context, leaf.crt_pem, leaf.key_pem)
    state = FakeS3State(KEY_ID, SECRET, buckets={"backups": {}})
    with FakeS3(address, state, tls=context) as server:
        with pytest.raises(S3Error, match=r"TLS verification .* failed: .*set etcdBackups\.s3\.caCertificate"):
            _client(server).check()
        _client(server, ca=ca.crt_pem.decode()).check()
