"""RFC 9457 problem details: the one map from errors to HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from referral_hub.errors import (
    DomainError,
    DomainRuleViolation,
    InvalidParameter,
    NotFound,
    PermissionDenied,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("referral_hub.problems")


class InvalidParam(msgspec.Struct, omit_defaults=True):
    name: str
    reason: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None


TITLES = {
    400: ("bad-request", "The request is malformed"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "The object changed since it was read"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("domain-rule", "The request breaks a rule"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None = None,
    *,
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    slug, title = TITLES.get(status, ("error", "Error"))
    body = Problem(
        type=f"/problems/{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        invalid_params=invalid_params,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    if isinstance(exc, InvalidParameter):
        return problem_response(
            request, 400, exc.detail, invalid_params=[InvalidParam(name=exc.name, reason=exc.reason)]
        )
    if isinstance(exc, NotFound):
        return problem_response(request, 404, exc.detail)
    if isinstance(exc, PermissionDenied):
        return problem_response(request, 403, exc.detail)
    if isinstance(exc, DomainRuleViolation):
        return problem_response(request, 422, exc.detail)
    return problem_response(request, 400, exc.detail)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    params: list[InvalidParam] = []
    if isinstance(exc.extra, list):
        for item in exc.extra:
            if isinstance(item, dict):
                key = str(item.get("key") or item.get("source") or "body")
                params.append(InvalidParam(name=key, reason=str(item.get("message", "invalid value"))))
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params) or exc.detail
    return problem_response(request, 400, detail, invalid_params=params or None)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    detail = None if isinstance(exc, NotFoundException) and exc.detail == "Not Found" else exc.detail
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    # The exception text may carry values from the request; only its type is logged.
    log.error("unhandled error", extra={"error_type": type(exc).__name__, "path": request.url.path})
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR, None)


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected_error,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_MEDIA_TYPE", "Problem", "problem_response"]
