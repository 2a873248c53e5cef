"""``pylotus-bench``: benchmarks of the sealing kernels and the scheduler, per phase.

Each benchmark prints its figure and a ratio against the machine's own limit (for example
hashing throughput against ``openssl speed sha256`` on the same machine), never a pass/fail;
the benchmarks themselves arrive with the issues that build what they measure.  Each lives in a
module of this package named after what it measures (``commp``, ``sealing``); this module holds the group.
"""

from __future__ import annotations

import click

from .. import __version__
from ..cli_group import PylotusGroup, log_level_option
from .commp import commp_command
from .pipeline import pipeline_command
from .sched import sched_command
from .sealing import sealing_command

__all__ = ["cli", "main"]


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@log_level_option
@click.version_option(__version__, prog_name="pylotus-bench")
def cli() -> None:
    """Benchmark pylotus sealing, commP and scheduling."""


cli.add_command(commp_command)
cli.add_command(sealing_command)
cli.add_command(sched_command)
cli.add_command(pipeline_command)


def main() -> None:
    cli(prog_name="pylotus-bench")
