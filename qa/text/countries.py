"""Names that stand for a country: its name, demonym, capital and other spellings ("Serbian",
"Belgrade" and "Serbia" name one country), read from ``countryinfo`` (maintained, MIT)."""

from __future__ import annotations

from functools import cache

from countryinfo import all_countries

from qa.text.terms import terms

Forms = tuple[frozenset[str], ...]


@cache
def _forms() -> dict[str, Forms]:
    """For each one-word form's stem, the stems of every form of its country."""
    found: dict[str, set[frozenset[str]]] = {}
    for country in all_countries():
        info = country.info()
        names = [info.get("name"), info.get("demonym"), info.get("capital"),  # no "RS", "SRB"
                 *(n for n in info.get("altSpellings") or [] if len(str(n)) > 3)]
        forms = {frozenset(terms(str(n))) for n in names if n and str(n).isascii()} - {frozenset()}
        for form in forms:
            if len(form) == 1:
                found.setdefault(next(iter(form)), set()).update(forms - {form})
    return {stem: tuple(sorted(alternatives, key=sorted)) for stem, alternatives in found.items()}


def country_forms(name: str) -> Forms:
    """The other forms of the country ``name`` (a stem) names, each as its stems; empty when
    ``name`` names no country."""
    return _forms().get(name, ())
