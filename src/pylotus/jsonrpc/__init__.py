"""Lotus-compatible JSON-RPC: codecs, method tables, JWT auth, the ASGI server and the clients.

Reference: reference/lotus-miner.md §3.1–3.2 (go-jsonrpc transport, errors, channels, auth).
"""

from __future__ import annotations

from .apiinfo import API_INFO_ENV as API_INFO_ENV
from .apiinfo import ApiInfo as ApiInfo
from .apiinfo import multiaddr_host_port as multiaddr_host_port
from .apiinfo import resolve_api_info as resolve_api_info
from .auth import JwtAuth as JwtAuth
from .auth import TokenVerifier as TokenVerifier
from .auth import open_api_secret as open_api_secret
from .client import HttpTransport as HttpTransport
from .client import RpcClient as RpcClient
from .client import WsTransport as WsTransport
from .client import open_http_client as open_http_client
from .client import open_ws_client as open_ws_client
from .client import open_ws_transport as open_ws_transport
from .codec import Codec as Codec
from .codec import JsonValue as JsonValue
from .common_api import API_VERSION as API_VERSION
from .common_api import COMMON_TABLE as COMMON_TABLE
from .common_api import CommonApi as CommonApi
from .common_api import CommonClient as CommonClient
from .common_api import VersionInfo as VersionInfo
from .errors import ApiInfoError as ApiInfoError
from .errors import ApiUnreachable as ApiUnreachable
from .errors import AuthRejected as AuthRejected
from .errors import CallTimeout as CallTimeout
from .errors import CodecError as CodecError
from .errors import ConnectionLost as ConnectionLost
from .errors import JsonRpcError as JsonRpcError
from .errors import MethodError as MethodError
from .errors import RpcError as RpcError
from .errors import TokenInvalid as TokenInvalid
from .methods import ALL_PERMISSIONS as ALL_PERMISSIONS
from .methods import DEFAULT_PERMISSIONS as DEFAULT_PERMISSIONS
from .methods import ApiTable as ApiTable
from .methods import MethodSpec as MethodSpec
from .methods import Permission as Permission
from .methods import make_table as make_table
from .serve import ApiListenError as ApiListenError
from .serve import serve_api as serve_api
from .server import ApiApp as ApiApp
from .server import CallContext as CallContext
from .server import RpcServer as RpcServer

__all__ = [
    "ALL_PERMISSIONS",
    "API_INFO_ENV",
    "API_VERSION",
    "COMMON_TABLE",
    "DEFAULT_PERMISSIONS",
    "ApiApp",
    "ApiInfo",
    "ApiInfoError",
    "ApiListenError",
    "ApiTable",
    "ApiUnreachable",
    "AuthRejected",
    "CallContext",
    "CallTimeout",
    "Codec",
    "CodecError",
    "CommonApi",
    "CommonClient",
    "ConnectionLost",
    "HttpTransport",
    "JsonRpcError",
    "JsonValue",
    "JwtAuth",
    "MethodError",
    "MethodSpec",
    "Permission",
    "RpcClient",
    "RpcError",
    "RpcServer",
    "TokenInvalid",
    "TokenVerifier",
    "VersionInfo",
    "WsTransport",
    "make_table",
    "multiaddr_host_port",
    "open_api_secret",
    "open_http_client",
    "open_ws_client",
    "open_ws_transport",
    "resolve_api_info",
    "serve_api",
]
