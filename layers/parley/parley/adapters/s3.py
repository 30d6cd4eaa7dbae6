"""S3 as the store of uploaded files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import IO, Any

from botocore.exceptions import ClientError

from parley.errors import ObjectChanged

# Uploads carry this tag (their POST policy requires it); the bucket's lifecycle expires uploads, and the copy ingest
# keeps of one, the document's file, is made without it.
UNINDEXED_TAG = ("parley-upload", "unindexed")
UNINDEXED_TAGGING = (
    f"<Tagging><TagSet><Tag><Key>{UNINDEXED_TAG[0]}</Key><Value>{UNINDEXED_TAG[1]}</Value></Tag></TagSet></Tagging>"
)


def _query_tagging(tag: tuple[str, str]) -> str:
    # PutObject takes its tags as a URL query, the POST policy as XML.
    return f"{tag[0]}={tag[1]}"


class S3BlobStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        # SigV4 presigned POST policies are accepted in every region (and by the local stack's S3).
        return boto3.client("s3", config=Config(signature_version="s3v4"))

    def upload_form(self, key: str, content_type: str, size_bytes: int, expires_in: int) -> tuple[str, dict[str, str]]:
        # S3 itself holds the upload to the policy: this key, this content type, exactly the declared size, and the
        # tag that lets the bucket's lifecycle expire it if ingest never consumes it (template.yaml).
        fields = {"Content-Type": content_type, "tagging": UNINDEXED_TAGGING}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"tagging": UNINDEXED_TAGGING},
            ["content-length-range", size_bytes, size_bytes],
        ]
        form = self.client.generate_presigned_post(
            self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return str(form["url"]), {name: str(value) for name, value in form["fields"].items()}

    def put_upload(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, Tagging=_query_tagging(UNINDEXED_TAG)
        )

    def read(self, key: str, etag: str | None = None) -> bytes:
        options = {"IfMatch": etag} if etag else {}
        with _changed(key):
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key, **options)["Body"].read())

    def keep(self, upload: str, etag: str, key: str) -> None:
        # Only the version that was read is copied; REPLACE with no tags leaves the upload's tag behind.
        options = {"CopySourceIfMatch": etag} if etag else {}
        with _changed(upload):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": upload},
                TaggingDirective="REPLACE",
                **options,
            )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> None:
        """Every file under `prefix` with every version the (versioned) bucket keeps of it, and their delete markers:
        what is erased cannot be restored, nor waits for the lifecycle's expiry of noncurrent versions."""
        for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for listed in ("Versions", "DeleteMarkers")
                for item in page.get(listed, [])
            ]
            if objects:  # a page holds at most 1,000 entries, as many as one DeleteObjects request takes
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})


@contextmanager
def _changed(key: str) -> Iterator[None]:
    """S3's answers for a replaced or missing object, as ObjectChanged."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "NoSuchKey", "404", "412"):
            raise ObjectChanged(f"{key} changed or disappeared") from error
        raise


class S3PublishedFiles:
    """The web bucket: what CloudFront serves."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @cached_property
    def client(self) -> Any:
        import boto3

        return boto3.client("s3")

    def publish(self, key: str, body: bytes, content_type: str, cache_control: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control
        )

    def withdraw(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


# Exports carry this tag; the bucket's lifecycle expires what carries it (template.yaml), so a download link's file
# does not outlive its use by long.
EXPORT_TAG = ("parley-export", "expiring")


class S3ExportFiles:
    """Exports too large for a response, in the documents bucket next to the tenant's other files."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", config=Config(signature_version="s3v4"))

    def store(self, key: str, body: IO[bytes], content_type: str, filename: str) -> None:
        # upload_fileobj sends a large file in parts, never whole in memory.
        extra = {
            "ContentType": content_type,
            "ContentDisposition": f'attachment; filename="{filename}"',
            "Tagging": "=".join(EXPORT_TAG),
        }
        self.client.upload_fileobj(body, self.bucket, key, ExtraArgs=extra)

    def link(self, key: str, expires_in: int) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        )
