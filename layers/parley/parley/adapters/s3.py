"""S3 as the store of uploaded files."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from parley.errors import ObjectChanged


class S3BlobStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @cached_property
    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        # SigV4 presigned URLs are accepted in every region (and by the local stack's S3).
        return boto3.client("s3", config=Config(signature_version="s3v4"))

    def upload_url(self, key: str, content_type: str, expires_in: int) -> str:
        # Content-Type is signed: S3 refuses an upload that declares another type.
        return str(
            self.client.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        )

    def read(self, key: str, etag: str | None = None) -> bytes:
        options = {"IfMatch": etag} if etag else {}
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key, **options)["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "NoSuchKey", "404", "412"):
                raise ObjectChanged(f"{key} changed or disappeared") from error
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)
