"""Idempotency keys for REST API POSTs: a retried request gets the first answer.

A client that sends ``Idempotency-Key: <unique string>`` with a POST can send
the same request again (after a timeout, a dropped connection) without doing
the work twice:

* the key row is inserted, in its own committed transaction, *before* the
  work starts, as "in progress"; the unique (actor, key) constraint makes a
  concurrent second request fail that insert and get 409 "in progress"
  instead of running the work a second time;
* once the view answered, the status code and JSON body are stored on the
  row and replayed to every later request with the same key and body;
* the same key with a different method, path or body is refused with 409;
* a 5xx answer (or an unexpected error) deletes the row, so the client may
  retry with the same key.

Rows are purged after ``RETENTION`` by a beat task. A process that dies
between finishing the work and storing the answer leaves its key "in
progress" until then; the client should check the state it meant to change
before using a new key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from accounts.models import IdempotencyKey, Person

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)


class IdempotencyError(DomainError):
    """Base of the problems with an Idempotency-Key header."""


class InvalidIdempotencyKey(IdempotencyError):
    """The header is empty, too long or not printable ASCII."""


class IdempotencyKeyReused(IdempotencyError):
    """The key was used before for a different request."""


class RequestInProgress(IdempotencyError):
    """A request with this key is still being processed."""


@dataclass(frozen=True)
class Replay:
    """The stored answer to a request already processed with the same key."""

    status_code: int
    body: Any


# --- fingerprints -----------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, QueryDict):
        return {key: [_canonical(v) for v in value.getlist(key)] for key in sorted(value)}
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(key): _canonical(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_hash(request: Request) -> str:
    """Return the SHA-256 of the request's method, path and parsed body.

    The body is compared as parsed data (keys sorted), so the same JSON with
    other whitespace or key order is the same request; uploaded files count
    by name, size and content digest.
    """
    body = json.dumps(
        {
            "method": request.method,
            "path": request.get_full_path(),
            "data": _canonical(request.data),
        },
        sort_keys=True,
        cls=JSONEncoder,
    )
    return hashlib.sha256(body.encode()).hexdigest()


# --- services ---------------------------------------------------------------


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(32 <= ord(c) < 127 for c in key):
        raise InvalidIdempotencyKey(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
        )
    return key


def begin_request(actor: Person, key: str, fingerprint: str) -> IdempotencyKey | Replay:
    """Claim ``key`` for ``actor``'s request, or return the answer it already got.

    Inserts the key "in progress" and commits before returning, so a
    concurrent request with the same key cannot also start. Raises
    InvalidIdempotencyKey, IdempotencyKeyReused (same key, other request) or
    RequestInProgress (the first request has not answered yet).
    """
    key = _check_key(key)
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(actor=actor, key=key, request_hash=fingerprint)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(actor=actor, key=key).first()
        if existing is None:
            continue  # purged in between: claim it afresh
        if existing.created_at < timezone.now() - RETENTION:
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                f"The {HEADER} {key!r} was already used for a different request. "
                "Use a new key for a new request."
            )
        if existing.status_code is None:
            raise RequestInProgress(
                f"A request with the {HEADER} {key!r} is still in progress. "
                "Retry once it has finished."
            )
        return Replay(status_code=existing.status_code, body=existing.response)
    raise RequestInProgress(f"A request with the {HEADER} {key!r} is still in progress.")


def finish_request(record: IdempotencyKey, *, status_code: int, body: Any) -> None:
    """Store the answer to replay; a server error frees the key for a retry instead."""
    if status_code >= 500:
        release_request(record)
        return
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=status_code, response=body, completed_at=timezone.now()
    )


def release_request(record: IdempotencyKey) -> None:
    """Forget a key whose request failed unexpectedly, so it may be retried."""
    IdempotencyKey.objects.filter(pk=record.pk).delete()


def purge_idempotency_keys(*, now: datetime | None = None) -> int:
    """Delete keys older than RETENTION; return how many were deleted."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- the DRF view mixin -------------------------------------------------------


class _Replayed(Exception):
    def __init__(self, replay: Replay) -> None:
        super().__init__("replayed")
        self.replay = replay


def _jsonable(data: Any) -> Any:
    if data is None:
        return None
    return json.loads(json.dumps(data, cls=JSONEncoder))


if TYPE_CHECKING:
    from rest_framework.views import APIView as _ApiViewBase
else:
    _ApiViewBase = object


class IdempotentPostMixin(_ApiViewBase):
    """Honour an ``Idempotency-Key`` header on POST, after authentication,
    permission and throttling checks passed (refusals are never stored)."""

    _idempotency: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._idempotency = None
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        outcome = begin_request(signed_in(request), key, request_hash(request))
        if isinstance(outcome, Replay):
            raise _Replayed(outcome)
        self._idempotency = outcome

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replayed):
            return Response(
                exc.replay.body,
                status=exc.replay.status_code,
                headers={REPLAY_HEADER: "true"},
            )
        try:
            return super().handle_exception(exc)
        except Exception:
            if self._idempotency is not None:
                release_request(self._idempotency)
                self._idempotency = None
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency = self._idempotency, None
        if record is not None:
            finish_request(
                record,
                status_code=response.status_code,
                body=_jsonable(getattr(response, "data", None)),
            )
        return response
