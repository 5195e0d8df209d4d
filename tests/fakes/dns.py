"""A DNS for tests: webhook host names resolve from a table instead of the network. A name not in the
table resolves to one public address; a name mapped to an empty list does not exist; `slow` names make
the lookup block (for the timeout)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

# A global unicast address (documentation ranges are not global, so the guard would refuse them).
PUBLIC_ADDRESS = "93.184.215.14"


@dataclass
class FakeResolver:
    table: dict[str, list[str]] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    lookups: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host in self.slow:
            self.release.wait(timeout=10)
        addresses = self.table.get(host, [PUBLIC_ADDRESS])
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(addresses)
