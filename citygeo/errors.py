"""Errors a user can cause. Only the CLI and the UI catch them (CitygeoError)."""

from __future__ import annotations


class CitygeoError(Exception):
    """Base class: a problem with the user's input or environment, shown as one message."""


class InputError(CitygeoError, ValueError):
    """A data file is missing, unreadable or holds values that cannot be used."""


class ConfigError(CitygeoError, ValueError):
    """A city config or methodology file is invalid."""


class CRSError(CitygeoError, ValueError):
    """A coordinate reference system is missing or wrong."""


class StoreError(CitygeoError, RuntimeError):
    """The store cannot be opened, or does not hold what the command needs."""


def format_problems(header: str, problems: list[str], limit: int = 20) -> str:
    """Join several problems into one message, listing at most ``limit`` of them."""
    lines = [header]
    lines += [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit} more")
    return "\n".join(lines)
