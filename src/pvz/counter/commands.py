"""Command barcodes printed at the counter: scanning one in the issue screen's scan field acts like its
button. They start with "#", which a scanner in the Russian layout types as "№"; `normalize_scan` maps
it back, and the letters too, so «№АШТШЫР» is #FINISH and «№КУАГЫУ2» is #REFUSE2."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pvz.core.scan import normalize_scan

# #REFUSE1 … #REFUSE9: the n-th refusal reason as numbered on the issue screen and the command sheet.
REFUSE_COMMANDS = 9


class CounterCommand(StrEnum):
    FINISH = "finish"
    CANCEL = "cancel"
    REFUSE = "refuse"


COMMAND_CODES: dict[str, CounterCommand] = {
    "#FINISH": CounterCommand.FINISH,
    "#CANCEL": CounterCommand.CANCEL,
}
_REFUSE = re.compile(rf"#REFUSE([1-{REFUSE_COMMANDS}])")


@dataclass(frozen=True)
class ParsedCommand:
    command: CounterCommand
    number: int | None = None  # REFUSE only: 1-based position in the refusal-reason list


def command_parse(raw: str) -> ParsedCommand | None:
    """The command a scan names with its argument, in any keyboard layout and case; None otherwise."""
    value = normalize_scan(raw).upper()
    if value in COMMAND_CODES:
        return ParsedCommand(COMMAND_CODES[value])
    refuse = _REFUSE.fullmatch(value)
    if refuse is not None:
        return ParsedCommand(CounterCommand.REFUSE, int(refuse.group(1)))
    return None


def command_classify(raw: str) -> CounterCommand | None:
    """The command a scan names, in any keyboard layout and case, or None for anything else."""
    parsed = command_parse(raw)
    return parsed.command if parsed is not None else None


def command_barcode(command: CounterCommand, number: int | None = None) -> str:
    """The text a printed command barcode carries."""
    if command is CounterCommand.REFUSE:
        return f"#REFUSE{number}"
    return f"#{command.value.upper()}"
