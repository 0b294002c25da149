"""Where a job's files live: a local folder (embedded mode) or an S3 bucket (cluster mode).

Everyone names a job's files by *key* (`JobKeys`), never by path, and goes through one `Store`:
the web node stores uploads and serves downloads, workers read sources and write results.
Code that needs real files (OpenCV in the pool) asks for a `workspace`: the local store hands
out the real paths; the S3 store downloads the inputs into a temporary folder, and uploads the
outputs when the body succeeds. So there is one code path for both modes above this module.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import anyio
from litestar.response import File, Response, Stream

from . import storage
from .settings import Settings, get_settings

log = logging.getLogger("toonify.storage")
CHUNK = 256 * 1024


class StorageUnavailable(Exception):
    """The object store cannot be reached or used; the message is one sentence for an operator."""


@dataclass(frozen=True)
class JobKeys:
    """The names of one job's files; `suffix` is the upload's extension (the result keeps it)."""

    job: str
    suffix: str

    @classmethod
    def of(cls, job_uuid: str, original: str) -> JobKeys:
        """From a job row's `original_path` (a path in embedded mode, a key in cluster mode)."""
        return cls(str(job_uuid), pathlib.PurePath(original).suffix)

    @property
    def original(self) -> str:
        return f"uploads/{self.job}{self.suffix}"

    @property
    def result(self) -> str:
        return f"processed/{self.job}{self.suffix}"

    @property
    def sd(self) -> str:
        return f"processed/sd/{self.job}{self.suffix}"

    def thumb(self, kind: str) -> str:
        """Small JPEGs: "original" and "result" for the gallery, "before" for a share page."""
        return f"processed/thumbs/{self.job}-{kind}.jpg"

    @property
    def all(self) -> list[str]:
        return [self.original, self.result, self.sd, *(self.thumb(k) for k in ("original", "result", "before"))]


class Store(ABC):
    """The operations the service needs on stored files, whatever holds them."""

    @abstractmethod
    async def check(self) -> None:
        """Make sure the store can be used (create what is missing); raise StorageUnavailable."""

    @abstractmethod
    def location(self, key: str) -> str:
        """What a job row records for a key (its `original_path`, `output_path`)."""

    @abstractmethod
    def workspace(self, inputs: list[str], outputs: list[str]) -> contextlib.AbstractAsyncContextManager[dict]:
        """Real files for the keys: inputs readable, outputs to be written (in the given order).
        Outputs are stored only if the body succeeds; on failure none of them is left behind."""

    @abstractmethod
    async def read(self, key: str) -> bytes | None:
        """The whole object, or None if there is none."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def download(self, key: str, filename: str | None, headers: dict | None = None) -> Response:
        """A response that sends the object (attachment when `filename` is given, else inline)."""

    @abstractmethod
    def chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in pieces, read as they are consumed (blocking: iterate in a
        thread). FileNotFoundError if there is none."""

    @abstractmethod
    async def copy_to(self, key: str, path: pathlib.Path) -> None:
        """Write the object into a local file (FileNotFoundError if there is none)."""

    @abstractmethod
    def deleting(self, keys: list[str]) -> contextlib.AbstractAsyncContextManager[None]:
        """Delete the objects around a database change (the body): if the body fails, all stay."""

    async def remove(self, keys: list[str]) -> None:
        async with self.deleting(keys):
            pass


class LocalStore(Store):
    """Today's folders: uploads/ and processed/ (with sd/ and thumbs/) under the data folder."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def path(self, key: str) -> pathlib.Path:
        top, _, rest = key.partition("/")
        base = {
            "uploads": self.settings.uploads,
            "processed": self.settings.processed,
            "studio": self.settings.data_dir / "studio",  # photos put into the studio (app/web/drafts.py)
        }[top]
        return base / rest

    def location(self, key: str) -> str:
        return str(self.path(key))

    async def check(self) -> None:
        try:
            storage.ensure_dirs()
        except OSError as exc:
            raise StorageUnavailable(f"cannot use the data folder {self.settings.data_dir}: {exc.strerror}") from None

    @contextlib.asynccontextmanager
    async def workspace(self, inputs: list[str], outputs: list[str]) -> AsyncIterator[dict]:
        files = {k: self.path(k) for k in [*inputs, *outputs]}
        try:
            yield files
        except BaseException:
            storage.discard([files[k] for k in outputs])
            raise

    async def read(self, key: str) -> bytes | None:
        try:
            return await anyio.to_thread.run_sync(self.path(key).read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        return self.path(key).exists()

    async def download(self, key: str, filename: str | None, headers: dict | None = None) -> Response:
        path = self.path(key)
        if not path.is_file():  # e.g. a batch photo refused before it was stored
            raise _not_stored()
        if filename is None:
            return File(path=path, media_type=storage.mime_of(path), content_disposition_type="inline", headers=headers)
        return File(path=path, filename=filename, media_type=storage.mime_of(path), headers=headers)

    def chunks(self, key: str) -> Iterator[bytes]:
        with open(self.path(key), "rb") as src:
            while chunk := src.read(CHUNK):
                yield chunk

    async def copy_to(self, key: str, path: pathlib.Path) -> None:
        await anyio.to_thread.run_sync(shutil.copyfile, self.path(key), path)

    @contextlib.asynccontextmanager
    async def deleting(self, keys: list[str]) -> AsyncIterator[None]:
        with storage.deleting([self.path(k) for k in keys]):
            yield


class S3Store(Store):
    """A bucket (and key prefix) through boto3, whose blocking calls run in threads."""

    def __init__(self, url: str):
        parsed = urlparse(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if not self.bucket:
            raise SystemExit(f"TOONIFY_STORAGE_URL must name a bucket (s3://bucket[/prefix]), not {url!r}")
        import boto3
        from botocore.config import Config

        # Not TOONIFY_ settings: the standard AWS variables, so the same deployment secrets
        # work for every S3 tool. Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) are
        # read by boto3 itself; the endpoint and region are passed on explicitly.
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
            region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            config=Config(
                s3={"addressing_style": "path"},  # SeaweedFS, MinIO and friends serve buckets as paths
                connect_timeout=3,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def location(self, key: str) -> str:
        return key

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(lambda: getattr(self.client, method)(**kwargs))

    async def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        endpoint = self.client.meta.endpoint_url
        try:
            try:
                await self._call("head_bucket", Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                    raise
                try:
                    await self._call("create_bucket", Bucket=self.bucket)
                    log.info("created bucket %s", self.bucket)
                except ClientError as again:  # another node made it meanwhile
                    if again.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou",):
                        raise
        except (BotoCoreError, ClientError) as exc:
            reason = str(exc).splitlines()[0]
            raise StorageUnavailable(f"cannot use the bucket {self.bucket} at {endpoint}: {reason}") from None

    @contextlib.asynccontextmanager
    async def workspace(self, inputs: list[str], outputs: list[str]) -> AsyncIterator[dict]:
        with tempfile.TemporaryDirectory(prefix="toonify-") as tmp:
            files = {k: pathlib.Path(tmp) / k.replace("/", "_") for k in [*inputs, *outputs]}
            for k in inputs:
                await self.copy_to(k, files[k])
            yield files
            for k in outputs:  # in order: callers put the file that marks completion last
                await self._call(
                    "upload_file",
                    Filename=str(files[k]),
                    Bucket=self.bucket,
                    Key=self.name(k),
                    ExtraArgs={"ContentType": storage.mime_of(k)},
                )

    async def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = await self._call("get_object", Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return await anyio.to_thread.run_sync(answer["Body"].read)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await self._call("head_object", Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    async def download(self, key: str, filename: str | None, headers: dict | None = None) -> Response:
        """Streams the object through this node: the caller has already done the owner and
        payment checks, so no URL that bypasses them ever leaves the service."""
        from botocore.exceptions import ClientError

        try:
            answer = await self._call("get_object", Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if _missing(exc):
                raise _not_stored() from None
            raise
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:  # Litestar iterates a plain iterator in a thread
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        out = {"Content-Length": str(answer["ContentLength"]), **(headers or {})}
        if filename is not None:
            return Stream(
                chunks(),
                media_type=storage.mime_of(key),
                headers={**out, "Content-Disposition": _attachment(filename)},
            )
        return Stream(chunks(), media_type=storage.mime_of(key), headers=out)

    def chunks(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.name(key))["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    async def copy_to(self, key: str, path: pathlib.Path) -> None:
        from botocore.exceptions import ClientError

        try:
            await self._call("download_file", Bucket=self.bucket, Key=self.name(key), Filename=str(path))
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise

    @contextlib.asynccontextmanager
    async def deleting(self, keys: list[str]) -> AsyncIterator[None]:
        # S3 has no rename-aside: the row goes first, then the objects. An object whose delete
        # fails is an orphan nobody can reach (names are random uuids), never a broken job.
        yield
        try:
            await self._call(
                "delete_objects", Bucket=self.bucket, Delete={"Objects": [{"Key": self.name(k)} for k in keys]}
            )
        except Exception as exc:
            log.warning("could not delete %s: %s", keys, exc)


def _not_stored() -> Exception:
    from .errors import DomainError

    return DomainError("not_found", "This file is not stored on the server.")


def _missing(exc: Any) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(filename)}"


_store: Store | None = None


def get_store() -> Store:
    """The one store of this process, chosen by TOONIFY_STORAGE_URL."""
    global _store
    if _store is None:
        s = get_settings()
        _store = S3Store(s.storage_url) if s.storage_url else LocalStore(s)
    return _store
