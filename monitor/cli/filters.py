"""Checks shared by every command that filters articles: language codes and source names.

Why: ``--lang FR`` or ``--source nosuch`` used to match nothing, silently, in some commands
and fail in others; every command now normalizes the same way and names what it rejects.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import click
from sqlalchemy import Engine, select


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


def known_sources(engine: Engine) -> set[str]:
    """Source names articles can carry: those stored in the database plus the catalogue's."""
    from monitor.catalogue import load_catalogue
    from monitor.db.models import Source

    with engine.connect() as connection:
        names = set(connection.execute(select(Source.name)).scalars())
    try:
        names.update(source.name for source in load_catalogue())
    except (ValueError, OSError):  # no readable catalogue: the stored names are all there is
        pass
    return names


def check_sources(engine: Engine, names: Iterable[str], param_hint: str = "--source") -> None:
    """BadParameter naming the first source that is neither stored nor in the catalogue, with close matches."""
    wanted = list(names)
    if not wanted:
        return
    known = known_sources(engine)
    for name in wanted:
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see `monitor sources list`)"
        raise click.BadParameter(f"unknown source {name!r}: nothing has been crawled from it and it is not "
                                 f"in the catalogue{hint}", param_hint=param_hint)
