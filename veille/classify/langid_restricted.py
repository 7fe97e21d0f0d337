"""py3langid restricted to a few languages, built without keeping the model for all of them.

py3langid's own `set_languages` keeps the full model inside the restricted identifier (to be
able to widen it again), so a restricted copy holds the scores of all 97 languages (about
30 MB) although it reads a few columns of them. The identifier returned here holds only the
columns of its languages; the n-gram automaton, which every restriction needs whole, is
shared with the full model rather than copied. Texts are scored as py3langid scores them; the
n-grams of the longer ones are counted by `langid_walk`, which finds the same counts faster.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import partial
from typing import Any

from veille.classify.langid_model import release_pages
from veille.classify.langid_walk import WindowWalk, walked_identifier


def restricted_identifier(full: Any, languages: Iterable[str]) -> Any:
    """Return an identifier for `languages` only, from py3langid's unrestricted `full` one.

    It classifies as `full` does after `set_languages(languages)`, and keeps none of the
    columns of the other languages.
    """
    identifier = copy.copy(full)
    identifier.set_languages(list(languages))
    # What `set_languages(None)` would go back to: the restricted model itself.
    identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes
    walk = _window_walk(full)
    return identifier if walk is None else walked_identifier(identifier, walk)


# The last automaton's walk: every restriction of a model shares its automaton, whose depth
# is then searched once (about 50 ms). It holds the automaton, as the identifiers do.
_last_walk: tuple[Any, WindowWalk | None] | None = None


def _window_walk(full: Any) -> WindowWalk | None:
    global _last_walk
    if _last_walk is None or _last_walk[0] is not full.tk_nextmove:
        # The depth search reads nearly every row once: those of a mapped automaton are let
        # go as it goes, so that the process holds only the rows its texts lead to.
        release = partial(release_pages, full.tk_nextmove)
        _last_walk = (full.tk_nextmove, WindowWalk.of(full, release))
        release()
    return _last_walk[1]
