"""Checks shared by every command that filters articles: language codes, source names and topic ids.

Why: ``--lang FR``, ``--source nosuch`` or ``--topic nosuch`` used to match nothing, silently, in some
commands and fail in others; every command now normalizes the same way and names what it rejects.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from sqlalchemy import Engine


def language_codes(values: Iterable[str], param_hint: str = "--lang") -> tuple[str, ...]:
    """Every value as an ISO 639-1 code, repeats dropped; BadParameter naming the first bad one."""
    from monitor.search.fulltext import language_code

    codes: list[str] = []
    for value in values:
        try:
            code = language_code(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=param_hint) from None
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def normalize_languages(ctx: click.Context, param: click.Parameter, value: tuple[str, ...] | str | None):
    """Click callback for ``--lang``: normalized codes (a tuple for a repeatable option)."""
    if value is None:
        return None
    if isinstance(value, str):
        return language_codes([value], f"--{param.name}" if param.name else "--lang")[0]
    return language_codes(value)


def check_sources(engine: Engine, names: Iterable[str], param_hint: str = "--source") -> None:
    """BadParameter naming the first source that is neither stored nor in the catalogue, with close matches."""
    from monitor.queries import unknown_source

    problem = unknown_source(engine, names)
    if problem:
        raise click.BadParameter(problem, param_hint=param_hint)


def check_topics(ctx: click.Context, param: click.Parameter, value: tuple[str, ...] | str | None):
    """Click callback for ``--topic``: the value unchanged, or BadParameter naming the first topic id that is
    not in the taxonomy (a filter on it would match nothing, silently)."""
    from monitor.topics.taxonomy import unknown_topic

    if not value:
        return value
    problem = unknown_topic([value] if isinstance(value, str) else value)
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value
