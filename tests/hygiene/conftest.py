"""The inbound delivery and the partner world, shared with those apps' tests."""

from __future__ import annotations

from tests.inbound.conftest import acceptance, delivery  # noqa: F401 -- fixtures
from tests.partners.conftest import ours  # noqa: F401 -- fixtures
