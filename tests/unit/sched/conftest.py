"""The ``harness`` fixture: a running scheduler with a sector index, torn down after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
from sched_fakes import Harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        await nursery.start(h.sched.run)
        yield h
        await h.sched.aclose()
        nursery.cancel_scope.cancel()
