"""The gateway's one error tree; the API renders every one as OpenAI's error JSON.

    GatewayError                       status  type                    code
    ├── InvalidRequest                 400     invalid_request_error   (param named)
    │   ├── PayloadTooLarge            413     invalid_request_error   payload_too_large
    │   └── UnsupportedMediaType       415     invalid_request_error   unsupported_media_type
    ├── AuthenticationError            401     invalid_request_error   invalid_api_key
    ├── PermissionDenied               403     permission_error        model_not_allowed ...
    ├── NotFound                       404     invalid_request_error   model_not_found ...
    ├── RateLimited                    429     requests / tokens       rate_limit_exceeded
    ├── QuotaExceeded                  429     insufficient_quota      insufficient_quota
    ├── ServiceUnavailable             503     server_error            service_unavailable
    └── UpstreamError                  502     upstream_error          upstream_error
        ├── UpstreamResponseTooLarge   502     upstream_error          upstream_response_too_large
        ├── UpstreamUnavailable        503     upstream_error          upstream_unavailable
        └── UpstreamTimeout            504     upstream_error          upstream_timeout

Statuses are the ones the OpenAI SDKs map to their exception classes
(BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError,
RateLimitError, InternalServerError).
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """An error the client should see: status, OpenAI `type` and `code`, optional `param`."""

    status = 500
    type = "server_error"
    code: str | None = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(GatewayError):
    status = 400
    type = "invalid_request_error"
    code: str | None = None


class PayloadTooLarge(InvalidRequest):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(InvalidRequest):
    status = 415
    code = "unsupported_media_type"


class AuthenticationError(GatewayError):
    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class PermissionDenied(GatewayError):
    status = 403
    type = "permission_error"
    code = "permission_denied"


class NotFound(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class RateLimited(GatewayError):
    status = 429
    type = "requests"
    code = "rate_limit_exceeded"


class QuotaExceeded(GatewayError):
    status = 429
    type = "insufficient_quota"
    code = "insufficient_quota"


class ServiceUnavailable(GatewayError):
    """RouterAI's own Redis or database is unreachable: retry shortly (fails closed)."""

    status = 503
    type = "server_error"
    code = "service_unavailable"


class UpstreamError(GatewayError):
    status = 502
    type = "upstream_error"
    code = "upstream_error"


class UpstreamResponseTooLarge(UpstreamError):
    """The provider's answer outgrew RouterAI's cap on one upstream response. Not retried on
    another provider: the size follows from the request, and each attempt is billed."""

    code = "upstream_response_too_large"


class UpstreamUnavailable(UpstreamError):
    status = 503
    code = "upstream_unavailable"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"
