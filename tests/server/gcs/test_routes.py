"""The storage JSON API driven by the real google-cloud-storage client."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.api_core import exceptions
from tests.server.server_process import ServerProcess


def test_bucket_round_trip_and_errors(storage_client: Any) -> None:
    bucket = storage_client.create_bucket("round-trip", location="us-central1")
    assert bucket.location == "US-CENTRAL1"
    assert storage_client.get_bucket("round-trip").name == "round-trip"
    assert storage_client.bucket("round-trip").exists()  # the Vertex SDK's probe
    assert "round-trip" in [b.name for b in storage_client.list_buckets()]
    with pytest.raises(exceptions.Conflict):
        storage_client.create_bucket("round-trip")
    with pytest.raises(exceptions.NotFound, match="bucket does not exist"):
        storage_client.get_bucket("no-such-bucket")
    assert not storage_client.bucket("no-such-bucket").exists()
    with pytest.raises(exceptions.BadRequest, match="Invalid bucket name"):
        storage_client.create_bucket("Upper-Case")
    bucket.blob("keep.txt").upload_from_string(b"x")
    with pytest.raises(exceptions.Conflict, match="not empty"):
        bucket.delete()
    bucket.blob("keep.txt").delete()
    bucket.delete()
    assert not storage_client.bucket("round-trip").exists()


def test_the_vertex_sdk_makes_its_pipeline_bucket_without_calling_google(
    storage_client: Any,
) -> None:
    """``PipelineJob.submit``'s bucket step, the unmodified SDK function with a service
    account: the emulation answers every call it sends (the probe's 404, the create, the IAM
    read and write), so it never turns to Cloud Resource Manager. That call raises here if it
    comes back: offline after a one-minute retry, online at once (anonymous callers are
    refused). ``submit`` itself would only log the error, so the example test cannot see it."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform.utils import gcs_utils

    root = gcs_utils.create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist(
        output_artifacts_gcs_dir="gs://vertex-pipeline-bucket/pipeline_root",
        service_account="pipelines@test-project.iam.gserviceaccount.com",
        project="test-project",
        location="us-central1",
        credentials=AnonymousCredentials(),
    )
    assert root == "gs://vertex-pipeline-bucket/pipeline_root"
    assert storage_client.bucket("vertex-pipeline-bucket").exists()


def test_objects_upload_download_metadata(storage_client: Any) -> None:
    bucket = storage_client.create_bucket("objects")
    blob = bucket.blob("dir/hello.txt")
    blob.metadata = {"team": "ml"}
    blob.upload_from_string(b"hello world", content_type="text/plain")  # multipart
    assert int(blob.generation) > 0
    got = bucket.get_blob("dir/hello.txt")
    assert (got.size, got.content_type, got.metadata) == (11, "text/plain", {"team": "ml"})
    assert got.md5_hash == blob.md5_hash and got.crc32c == blob.crc32c
    assert bucket.blob("dir/hello.txt").download_as_bytes() == b"hello world"
    assert bucket.blob("dir/hello.txt").download_as_bytes(start=6, end=9) == b"worl"
    got.metadata = {"team": None, "stage": "dev"}
    got.patch()
    assert bucket.get_blob("dir/hello.txt").metadata == {"stage": "dev"}
    # Resumable: more than one chunk (chunk sizes are multiples of 256 KiB).
    data = os.urandom(600 * 1024)
    big = bucket.blob("big.bin", chunk_size=256 * 1024)
    big.upload_from_string(data)
    assert bucket.blob("big.bin").download_as_bytes() == data
    assert bucket.get_blob("big.bin").size == len(data)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("big.bin").upload_from_string(b"again", if_generation_match=0)
    bucket.blob("dir/hello.txt").delete()
    with pytest.raises(exceptions.NotFound):
        bucket.blob("dir/hello.txt").download_as_bytes()
    with pytest.raises(exceptions.NotFound):
        bucket.blob("dir/hello.txt").delete()
    assert bucket.get_blob("dir/hello.txt") is None


def test_listing_prefix_delimiter_pages(storage_client: Any) -> None:
    bucket = storage_client.create_bucket("listing")
    names = ["a.txt", "d/1.txt", "d/2.txt", "d/e/3.txt", "f/4.txt"]
    for name in names:
        bucket.blob(name).upload_from_string(name.encode())
    assert [b.name for b in storage_client.list_blobs("listing")] == names
    assert [b.name for b in storage_client.list_blobs("listing", prefix="d/")] == names[1:4]
    top = storage_client.list_blobs("listing", delimiter="/")
    assert [b.name for b in top] == ["a.txt"]
    assert top.prefixes == {"d/", "f/"}
    inner = storage_client.list_blobs("listing", prefix="d/", delimiter="/")
    assert [b.name for b in inner] == ["d/1.txt", "d/2.txt"] and inner.prefixes == {"d/e/"}
    pages = storage_client.list_blobs("listing", max_results=None, page_size=2).pages
    assert [[b.name for b in page] for page in pages] == [names[:2], names[2:4], names[4:]]
    globbed = storage_client.list_blobs("listing", match_glob="d/**.txt")
    assert [b.name for b in globbed] == names[1:4]
    with pytest.raises(exceptions.NotFound):
        list(storage_client.list_blobs("no-such-bucket"))


def test_copy_rewrite_compose(storage_client: Any) -> None:
    bucket = storage_client.create_bucket("copies")
    other = storage_client.create_bucket("copies-other")
    source = bucket.blob("src.txt")
    source.upload_from_string(b"abc", content_type="text/plain")
    copied = bucket.copy_blob(source, other, "dst.txt")
    assert other.blob("dst.txt").download_as_bytes() == b"abc"
    assert copied.md5_hash == source.md5_hash
    token, _done, _total = other.blob("rewritten.txt").rewrite(source)
    assert token is None and other.blob("rewritten.txt").download_as_bytes() == b"abc"
    bucket.blob("more.txt").upload_from_string(b"def")
    composed = bucket.blob("both.txt")
    composed.compose([bucket.blob("src.txt"), bucket.blob("more.txt")])
    assert composed.download_as_bytes() == b"abcdef"


def test_unsupported_call_is_501_saying_so(gcs_server: ServerProcess) -> None:
    answer = httpx.post(f"{gcs_server.url}/storage/v1/b/x/o/y/restore")
    assert answer.status_code == 501
    assert "does not serve" in answer.json()["error"]["message"]


def test_the_kfp_api_is_still_there(gcs_server: ServerProcess) -> None:
    assert httpx.get(gcs_server.api + "/healthz").status_code == 200


def test_with_a_token_the_storage_api_needs_it(tmp_path: Path) -> None:
    from google.cloud import storage
    from google.oauth2.credentials import Credentials

    args = ["--emulate-gcs", "--token", "s3cret"]
    with ServerProcess(tmp_path / "home", cli_args=args) as server:
        options = {"api_endpoint": server.url}
        answer = httpx.post(f"{server.url}/storage/v1/b", json={"name": "guarded"})
        assert answer.status_code == 401
        holder = storage.Client(
            project="p", credentials=Credentials(token="s3cret"), client_options=options
        )
        holder.create_bucket("guarded").blob("x").upload_from_string(b"1")
        assert holder.bucket("guarded").blob("x").download_as_bytes() == b"1"
