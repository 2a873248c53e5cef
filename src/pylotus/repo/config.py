"""``config.toml``: writing the commented defaults and loading a file merged over them.

Lotus counterpart: ``node/config/load.go`` (``ConfigComment``, ``FromFile``, ``FromReader``).

The file ``init`` writes is Lotus's ``ConfigComment`` layout: a first line ``# Default config:``,
then the TOML of the defaults with every line commented out except the section headers::

    # Default config:
    [API]
    #  ListenAddress = "/ip4/127.0.0.1/tcp/2345/http"
    #  RemoteListenAddress = ""
    #  Timeout = "30s"
    #
    [Libp2p]
    ...

so the file parses to empty sections (all defaults), and an operator changes a value by deleting
the ``#`` in front of it.  Values are rendered and parsed with tomlkit; a loaded config is plain
Python (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``).

Loading is strict where Lotus is lenient: Lotus's decoder ignores keys it does not know, which
turns a misspelt ``MaxSealingSector`` into a silently ignored setting.  pylotus refuses unknown
keys and values of the wrong TOML type with :class:`~pylotus.repo.errors.InvalidConfig`, naming
the key and the file, so the operator finds the typo before the daemon runs with defaults.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from .config_defaults import NOTES, ConfigDict, ConfigValue
from .errors import InvalidConfig
from .files import read_optional, write_atomic
from .kind import RepoType

__all__ = [
    "ConfigDict",
    "ConfigValue",
    "load_config",
    "render_default_config",
    "write_default_config",
]

log = logging.getLogger(__name__)

HEADER = "# Default config:"
"""The first line of a fresh ``config.toml``, as Lotus's ``ConfigComment`` writes it."""

_INDENT = "#  "  # BurntSushi/toml indents keys of a table by two spaces; Lotus then prefixes '#'.


def render_default_config(kind: RepoType) -> str:
    """The text ``init`` writes as ``config.toml`` for ``kind``: defaults, commented out.

    A kind with an empty config (the worker) gets the header line alone.
    """
    lines = [HEADER]
    notes = {(section, key): note for section, key, note in NOTES}
    sections = list(kind.default_config().items())
    for index, (section, table) in enumerate(sections):
        assert isinstance(table, dict), f"default config section {section} is not a table"
        lines.append(f"[{section}]")
        for key, value in table.items():
            assert not isinstance(value, dict), f"nested table {section}.{key} in defaults"
            note = notes.get((section, key))
            if note is not None:
                lines.append(f"{_INDENT}# {note}")
            lines.append(_INDENT + tomlkit.dumps({key: value}).rstrip("\n"))
        if index < len(sections) - 1:
            lines.append("#")
    return "\n".join(lines) + "\n"


def write_default_config(path: Path, kind: RepoType) -> None:
    """Write :func:`render_default_config` to ``path`` atomically, mode 0644.

    Raises:
        RepoError: the file cannot be written.
    """
    write_atomic(path, render_default_config(kind).encode(), mode=0o644)


def load_config(path: Path, kind: RepoType) -> ConfigDict:
    """Parse ``path`` and merge it over ``kind``'s defaults; a missing file means all defaults.

    Returns:
        A fresh dict with every default section and key; values from the file keep their TOML types.

    Raises:
        InvalidConfig: a syntax error (the message names file, line and column), a key the
            defaults do not have, or a value whose TOML type differs from the default's.
        RepoError: the file exists but cannot be read.
    """
    raw = read_optional(path)
    defaults = kind.default_config()
    if raw is None:
        log.debug("no config file, using defaults path=%s", path)
        return defaults
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidConfig(
            f"config file '{path}' is not valid utf-8 (byte {exc.start}); save it as utf-8"
        ) from exc
    try:
        parsed = tomlkit.parse(text).unwrap()
    except ParseError as exc:
        reason = str(exc).rsplit(" at line ", 1)[0]
        raise InvalidConfig(
            f"cannot parse config file '{path}' at line {exc.line}, column {exc.col}: "
            f"{reason[:1].lower()}{reason[1:]}; fix the line or delete the file to use the defaults"
        ) from exc
    except TOMLKitError as exc:
        raise InvalidConfig(
            f"cannot parse config file '{path}': {exc}; fix the file or delete it to use the defaults"
        ) from exc
    return _merge(defaults, parsed, "", path)


def set_config_values(path: Path, kind: RepoType, section: str, values: Mapping[str, ConfigValue]) -> None:
    """Set ``values`` in ``[section]`` of the config file at ``path``, keeping its comments.

    Each key must be one of ``kind``'s defaults, with the default's TOML type; the file is
    checked by :func:`load_config` after the change and written atomically.

    Raises:
        InvalidConfig: the file does not parse, or a key or type is not the defaults'.
        RepoError: the file cannot be read or written.
    """
    raw = read_optional(path)
    document = tomlkit.parse(raw.decode("utf-8")) if raw is not None else tomlkit.document()
    table = document.get(section)
    if table is None:
        table = tomlkit.table()
        document[section] = table
    for key, value in values.items():
        table[key] = value
    text = tomlkit.dumps(document)
    _merge(kind.default_config(), tomlkit.parse(text).unwrap(), "", path)
    write_atomic(path, text.encode(), mode=0o644)


def _merge(defaults: ConfigDict, overrides: Mapping[str, object], where: str, path: Path) -> ConfigDict:
    """``defaults`` with ``overrides`` laid over it, refusing keys and types the defaults lack."""
    merged = dict(defaults)
    for key, value in overrides.items():
        name = f"{where}.{key}" if where else key
        if key not in defaults:
            raise InvalidConfig(
                f"unknown key '{name}' in config file '{path}'; "
                "check its spelling against the commented defaults"
            )
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise _wrong_type(name, path, default, value)
            merged[key] = _merge(default, value, name, path)
        else:
            merged[key] = _checked(name, path, default, value)
    return merged


def _checked(name: str, path: Path, default: ConfigValue, value: object) -> ConfigValue:
    """``value`` if its TOML type matches ``default``'s (arrays: element-wise), else InvalidConfig."""
    if isinstance(default, list):
        if not isinstance(value, list):
            raise _wrong_type(name, path, default, value)
        # Every array in the defaults holds strings; an empty default array says so by omission.
        element: ConfigValue = default[0] if default else ""
        return [_checked(f"{name}[{i}]", path, element, item) for i, item in enumerate(value)]
    if _toml_type(value) == _toml_type(default):
        return value  # type: ignore[return-value]  # same TOML type as a ConfigValue default
    if isinstance(default, float) and _toml_type(value) == "integer":
        return float(value)  # type: ignore[arg-type]  # an integer where a float is expected
    raise _wrong_type(name, path, default, value)


def _wrong_type(name: str, path: Path, default: object, value: object) -> InvalidConfig:
    expected, got = _toml_type(default), _toml_type(value)
    return InvalidConfig(
        f"key '{name}' in config file '{path}' must be {_article(expected)} {expected}, "
        f"not {_article(got)} {got}"
    )


def _toml_type(value: object) -> str:
    # bool before int: a Python bool is an int, a TOML boolean is not an integer.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return "date-time"
    return type(value).__name__


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
