"""Errors of the JSON-RPC layer, client and server side.

::

    JsonRpcError (PylotusError)
    ├── RpcError              the server answered with a JSON-RPC error object (code, message)
    │   └── MethodError       code 1: the method itself failed (Lotus's "method returned an error")
    ├── CodecError            a value did not have the Lotus JSON shape its codec expects
    ├── TransportError        the request did not get an answer
    │   ├── ApiUnreachable    connecting failed (nothing listens, refused, DNS)   [Temporary]
    │   ├── ConnectionLost    a websocket dropped while a call was in flight      [Temporary]
    │   └── CallTimeout       no answer within the caller's timeout               [Temporary]
    ├── AuthRejected          the server refused the token (HTTP 401)
    ├── TokenInvalid          a JWT failed verification (server side; becomes HTTP 401)
    └── ApiInfoError          no usable *_API_INFO / repo api+token to find the API

The server never lets a foreign exception reach the wire: a :class:`pylotus.errors.PylotusError`
raised by a method becomes ``{"code": 1, "message": str(err)}``; anything else is logged with its
traceback and reported as code 1 with a generic message, as go-jsonrpc does for Go errors.
"""

from __future__ import annotations

from ..errors import PylotusError, Temporary

__all__ = [
    "ApiInfoError",
    "ApiUnreachable",
    "AuthRejected",
    "CallTimeout",
    "CodecError",
    "ConnectionLost",
    "JsonRpcError",
    "MethodError",
    "RpcError",
    "TokenInvalid",
    "TransportError",
]

# go-jsonrpc's error codes (handler.go): the protocol ones are JSON-RPC 2.0's, code 1 is Lotus's
# "the Go method returned an error".
CODE_PARSE_ERROR = -32700
CODE_INVALID_REQUEST = -32600
CODE_METHOD_NOT_FOUND = -32601
CODE_INVALID_PARAMS = -32602
CODE_INTERNAL_ERROR = -32603
CODE_METHOD_ERROR = 1


class JsonRpcError(PylotusError):
    """Root of the JSON-RPC layer's errors."""


class RpcError(JsonRpcError):
    """The server answered a call with an error object."""

    def __init__(self, code: int, message: str, *, method: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.method = method

    @staticmethod
    def from_wire(code: int, message: str, *, method: str = "") -> RpcError:
        """The most specific class for a wire error: :class:`MethodError` for code 1."""
        if code == CODE_METHOD_ERROR:
            return MethodError(code, message, method=method)
        return RpcError(code, message, method=method)


class MethodError(RpcError):
    """The method ran and returned an error (code 1); the message is the server's own words."""


class CodecError(JsonRpcError):
    """A JSON value does not have the shape its codec expects (bad params or a bad result)."""


class TransportError(JsonRpcError):
    """The call did not get an answer."""


class ApiUnreachable(TransportError, Temporary):
    """Nothing answered at the API address."""


class ConnectionLost(TransportError, Temporary):
    """The websocket dropped with the call in flight; the call may or may not have run."""


class CallTimeout(TransportError, Temporary):
    """No answer within the timeout."""


class AuthRejected(JsonRpcError):
    """The server refused the token with HTTP 401."""


class TokenInvalid(JsonRpcError):
    """A token failed verification: bad signature, garbled, expired, or not Lotus-shaped."""


class ApiInfoError(JsonRpcError):
    """No API address could be found (env var malformed, repo without an ``api`` file)."""
