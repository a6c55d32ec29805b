"""Result pages kept ready between batch runs.

A results page shows what the batch computed for a cycle, beside the state of
that cycle's assessments. Building it reads and lays out a lot (scorecard,
trend lines, charts, a map); the data behind it changes a few times a day at
most. So each process keeps the pages it built, keyed by everything they were
built from, and serves them again until one of those changes:

- the batch's stamp of the cycle: the fingerprint of everything its figures
  were computed from (earlier cycles included, so the trend lines too), which
  changes whenever the batch writes new figures for it;
- the cycle's assessments: their number, the sum of their versions and their
  last change. Every change to an answer, partner rating, improvement action,
  escalation or state bumps the assessment's version (the batch's fingerprint
  relies on the same rule), so a saved draft shows at once;
- the newest audit event of a change to the organisations, gemeenten or
  regions (names, gemeente links; by an admin, an import or a new reference
  year), each looked up by its action;
- the newest report file, and the indicator definitions and regional norms;
- the cycle's state and dates (not audited), the page asked for, the
  viewer's roles (links and free text depend on them) and language.

Reading that key is one query. Nothing about a person is kept beyond their
roles in the key: two people with the same roles see the same page."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import get_locale
from peewee import Select, fn

from domain.scope import roles_of
from models import (
    Assessment,
    AuditEvent,
    Cycle,
    IndicatorDefinition,
    IndicatorStamp,
    RegionalNorm,
    ReportFile,
    User,
    db,
)

DEFAULT_ENTRIES = 256

# Audited changes to what a results page names and counts. Logins, API calls
# and the like are audited too, but change nothing a page shows.
STRUCTURE_EVENTS = (
    "organisation_saved",
    "gemeente_saved",
    "region_saved",
    "import",
    "reference_year_loaded",
    # Who may be asked about what works there ("wat werkt elders").
    "practice_sharing_saved",
)


# A cycle id no cycle has (ids are positive): marks where the real one goes
# in the compiled query's parameters.
_ANY_CYCLE = -1


def _generation_query(cycle_id: int) -> Select:
    in_cycle = Assessment.cycle == cycle_id
    return Select(
        columns=[
            IndicatorStamp.select(IndicatorStamp.stamp).where(IndicatorStamp.cycle == cycle_id),
            IndicatorStamp.select(fn.MAX(IndicatorStamp.computed_at)),
            Assessment.select(fn.COUNT(Assessment.id)).where(in_cycle),
            Assessment.select(fn.SUM(Assessment.version)).where(in_cycle),
            Assessment.select(fn.MAX(Assessment.updated_at)).where(in_cycle),
            # One lookup per action: each reads the end of its stretch of the index.
            *(
                AuditEvent.select(fn.MAX(AuditEvent.id)).where(AuditEvent.action == action)
                for action in STRUCTURE_EVENTS
            ),
            ReportFile.select(fn.MAX(ReportFile.id)),
            IndicatorDefinition.select(fn.MAX(IndicatorDefinition.updated_at)),
            IndicatorDefinition.select(fn.SUM(IndicatorDefinition.revision)),
            RegionalNorm.select(fn.MAX(RegionalNorm.updated_at)),
            RegionalNorm.select(fn.COUNT(RegionalNorm.id)),
        ]
    )


@functools.cache
def _compiled(database_class: type) -> tuple[str, tuple]:
    """The key query as SQL, written once per kind of database: composing it
    anew costs more than running it."""
    sql, params = db.get_sql_context().sql(_generation_query(_ANY_CYCLE)).query()
    return sql, tuple(params)


def generation(cycle_id: int) -> tuple:
    """What a cycle's result pages are built from, in one query."""
    sql, params = _compiled(type(db.obj))
    cursor = db.execute_sql(sql, [cycle_id if p == _ANY_CYCLE else p for p in params])
    return tuple(str(value) for value in cursor.fetchone())


def viewer(user: User) -> tuple:
    """What decides which links, scopes and text a person sees: their roles."""
    return tuple(
        sorted(
            (r.role, r.region_id or 0, r.organisation_id or 0, r.gemeente_id or 0)
            for r in roles_of(user)
        )
    )


class PageCache:
    """A bounded, thread-safe store of built pages, least recently used out
    first. A page being built is built once: other threads asking for it wait."""

    def __init__(self, entries: int = DEFAULT_ENTRIES):
        self.entries = entries
        self._pages: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}
        self.hits = self.misses = 0

    def get_or_build(self, key: tuple, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                self.hits += 1
                return self._pages[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._pages:  # built by another thread meanwhile
                    self.hits += 1
                    return self._pages[key]
                self.misses += 1
            try:
                page = build()
                with self._lock:
                    self._pages[key] = page
                    while len(self._pages) > self.entries:
                        self._pages.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def cache() -> PageCache:
    """This application's page cache (RESULT_PAGES: how many pages it keeps;
    0 builds every page anew)."""
    pages = current_app.extensions.get("prepared_pages")
    if pages is None:
        pages = PageCache(current_app.config.get("RESULT_PAGES", DEFAULT_ENTRIES))
        current_app.extensions["prepared_pages"] = pages
    return pages


def page(kind: str, cycle: Cycle, user: User, parts: tuple, build: Callable[[], Any]) -> Any:
    """The page `kind` of a cycle for this viewer (`parts`: what else the
    page was asked for), built by `build` when the data behind it changed
    since it was last built."""
    pages = cache()
    if pages.entries <= 0:
        return build()
    # The cycle's state and dates decide "voorlopig" and on-time response.
    state = (cycle.id, cycle.state, cycle.due_on, cycle.closes_on)
    key = (kind, state, parts, viewer(user), str(get_locale()), generation(cycle.id))
    return pages.get_or_build(key, build)
