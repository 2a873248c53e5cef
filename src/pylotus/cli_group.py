"""What every pylotus command line shares: the error-converting group, context, and stubs.

click's habit (``core.py: main``) is one place that turns expected failures into ``Error: …``
and an exit code.  :class:`PylotusGroup` extends that place: any
:class:`~pylotus.errors.PylotusError` raised by a command becomes a ``ClickException`` (exit 1,
one line, no traceback); bad flags stay click's ``UsageError`` (exit 2).  A bug keeps its
traceback.

Commands that later work will fill are declared with :func:`stub_command`, which fails loudly
(exit 1, "not implemented yet") instead of succeeding silently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import click
import trio

from .errors import PylotusError
from .log_setup import LOG_LEVEL_ENV, LOG_LEVELS, setup_logging
from .repo import RepoType

__all__ = [
    "CliContext",
    "PylotusGroup",
    "log_level_option",
    "pass_cli",
    "repo_option",
    "run_async",
    "stub_command",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])


@dataclass
class CliContext:
    """State handed down the command tree (click's ``make_pass_decorator``), not globals.

    Attributes:
        program: the program name, for messages (``pylotus-miner``).
        api_kind: whose API this program's client commands call by default.
        repos: repo path per repo type, from the global flags and env.
    """

    program: str
    api_kind: RepoType
    repos: dict[RepoType, Path] = field(default_factory=dict)

    def repo(self, kind: RepoType | None = None) -> Path:
        return self.repos[kind or self.api_kind]


pass_cli = click.make_pass_decorator(CliContext)


class PylotusGroup(click.Group):
    """A click group whose commands report :class:`PylotusError` as one ``Error:`` line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PylotusError as exc:
            raise click.ClickException(str(exc)) from exc
        except BaseExceptionGroup as group:
            # trio nurseries wrap what escapes them; an expected failure stays expected.
            expected = _only_pylotus_errors(group)
            if expected is None:
                raise
            raise click.ClickException(str(expected)) from group


def _only_pylotus_errors(group: BaseExceptionGroup[BaseException]) -> PylotusError | None:
    """The first error of a group made only of :class:`PylotusError`s (and cancellations)."""
    matched, rest = group.split(PylotusError)
    if matched is None:
        return None
    if rest is not None:
        _, rest = rest.split(trio.Cancelled)
    if rest is not None:
        return None
    exc: BaseException = matched
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc if isinstance(exc, PylotusError) else None


def run_async(fn: Callable[..., Awaitable[T]], *args: object) -> T:
    """Run one coroutine function under ``trio.run`` (each CLI command is one trio program)."""
    return trio.run(fn, *args)


def _set_log_level(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    setup_logging(value)
    return value


log_level_option = click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    envvar=LOG_LEVEL_ENV,
    default="info",
    show_default=True,
    is_eager=True,
    expose_value=False,
    callback=_set_log_level,
    help=f"log verbosity (env {LOG_LEVEL_ENV})",
)


def _non_empty_path(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    # click turns "" into Path("."): a repo would silently be made in the working directory.
    if str(value).strip() in ("", "."):
        raise click.BadParameter("the repo path must not be empty", ctx=ctx, param=param)
    return value


def repo_option(kind: RepoType, *names: str, dest: str) -> Callable[[F], F]:
    """The global flag naming a repo of ``kind``: env var and default from :class:`RepoType`.

    ``names`` are the flag spellings, Lotus's first (``--miner-repo``, ``--storagerepo``).
    """
    return click.option(
        *names,
        dest,
        callback=_non_empty_path,
        envvar=kind.env_var,
        default=str(kind.default_path),
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=f"{kind.program} repo (env {kind.env_var})",
    )


def stub_command(group: click.Group, name: str, *, issue: int, help: str) -> None:
    """Declare ``name`` on ``group`` as a command that exists but fails: not implemented yet.

    It accepts any arguments so that ``--help`` and the failure message show for every spelling
    a user tries, and exits 1 so a script never mistakes it for success.
    """

    @group.command(
        name,
        help=f"{help} (not implemented yet)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    @click.pass_context
    def _stub(ctx: click.Context) -> None:
        raise click.ClickException(f"'{ctx.command_path}' is not implemented yet (planned in issue #{issue})")
