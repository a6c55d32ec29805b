"""Succesindicator definitions as a data file: validate and load. Computing them
is the batch's work."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from domain import uploads
from domain.framework import Problem
from domain.inputs import LIMITS, MSG_TOO_LONG, line_problem
from models import IndicatorDefinition, Region, RegionalNorm, Theme, db, utcnow
from models.choices import COMPUTATIONS, DIRECTIONS, FREQUENCIES, LEVELS, N_

logger = logging.getLogger(__name__)

DEFAULT_INDICATORS = (
    Path(__file__).resolve().parent.parent / "data" / "indicators" / "landelijk.yaml"
)

UNITS = ("%", "punten", "aantal")
INDICATOR_KEYS = {
    "code",
    "region",
    "name",
    "description",
    "computation",
    "params",
    "filter",
    "unit",
    "direction",
    "norm",
    "green",
    "orange",
}
# The fields of a definition that the data file and the admin screen set.
DEFINITION_FIELDS = (
    "name",
    "description",
    "computation",
    "params",
    "filter_themes",
    "filter_levels",
    "filter_frequencies",
    "unit",
    "direction",
    "norm",
    "green_threshold",
    "orange_threshold",
)
NORM_KEYS = {"indicator", "region", "norm", "green", "orange"}
MAX_NUMBER = 1e9  # norms and thresholds: far beyond any percentage, score or count
MAX_NAME = LIMITS["name"]
MAX_DESCRIPTION = LIMITS["text"]
# The parameters each computation needs, with their allowed range.
REQUIRED_PARAMS = {
    "share_at_least": {"min_score": (0, 4)},
    "share_evaluated_within": {"months": (1, 120)},
}


class IndicatorError(ValueError):
    """An indicator file that cannot be accepted; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_NUMBER
    )


def _name(value: Any) -> str | None:
    """A value used as a name (code, region, choice): text, or None for anything
    else, so lists and mappings in a file are refused instead of crashing a lookup."""
    return value if isinstance(value, str) else None


def _stripped(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _keys(mapping: dict, allowed: set[str]) -> list[str]:
    return sorted(str(k) for k in mapping if k not in allowed or not isinstance(k, str))


def _check_thresholds(add, entry: str, direction: str, norm, green, orange) -> None:
    for field, value in (("norm", norm), ("green", green), ("orange", orange)):
        if not _number(value):
            add(entry, field, N_("moet een getal zijn"))
    if not (_number(green) and _number(orange)):
        return
    if direction == "hoger_beter" and green < orange:
        add(
            entry,
            "orange",
            N_("bij ‘hoger is beter’ mag de drempel oranje niet boven de drempel groen liggen"),
        )
    if direction == "lager_beter" and green > orange:
        add(
            entry,
            "orange",
            N_("bij ‘lager is beter’ mag de drempel oranje niet onder de drempel groen liggen"),
        )


def validate(
    data: Any,
    file: str = "<invoer>",
    known_themes: set[str] | None = None,
    known_regions: set[str] | None = None,
) -> dict:
    """Check an indicator document and return it normalised; raise IndicatorError
    listing every problem (file, entry, field)."""
    problems: list[Problem] = []

    def add(entry: str, field: str, message: str) -> None:
        problems.append(Problem(file, entry, field, message))

    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise IndicatorError([Problem(file, "", "indicators", "lijst van indicatoren ontbreekt")])
    out: dict = {"indicators": [], "regional_norms": []}
    seen: set[tuple[str, str | None]] = set()
    for i, ind in enumerate(data["indicators"]):
        entry = f"indicators[{i}]"
        if not isinstance(ind, dict):
            add(entry, "", "moet een indicator zijn")
            continue
        code = _name(ind.get("code"))
        entry = f"{entry} ({code})" if code else entry
        for key in _keys(ind, INDICATOR_KEYS):
            add(entry, key, "onbekend veld")
        if code is None or not code.strip():
            add(entry, "code", "ontbreekt")
        elif line_problem(code, LIMITS["code"]):
            add(entry, "code", "is langer dan 32 tekens of bevat een stuurteken")
        region = ind.get("region")
        if region is not None and (
            _name(region) is None or (known_regions is not None and region not in known_regions)
        ):
            add(entry, "region", f"onbekende regio {region!r}"[:200])
            region = None
        if (code, region) in seen:
            add(entry, "code", f"code {code!r} komt vaker voor")
        seen.add((code, region))
        for field, limit in (("name", MAX_NAME), ("description", MAX_DESCRIPTION)):
            value = ind.get(field)
            if field == "description" and value is None:
                continue
            if not isinstance(value, str) or (field == "name" and not value.strip()):
                add(entry, field, "ontbreekt of is leeg" if field == "name" else "moet tekst zijn")
            elif (problem := line_problem(value, limit, multiline=field != "name")) is None:
                continue
            elif problem == MSG_TOO_LONG:
                add(entry, field, f"is langer dan {limit} tekens")
            else:
                add(entry, field, "bevat een onzichtbaar stuurteken")
        computation = _name(ind.get("computation"))
        if computation not in COMPUTATIONS:
            add(
                entry,
                "computation",
                f"onbekende berekening {ind.get('computation')!r} "[:200]
                + f"(toegestaan: {', '.join(COMPUTATIONS)})",
            )
        params = ind.get("params") or {}
        if not isinstance(params, dict):
            add(entry, "params", "moet een verzameling parameters zijn")
            params = {}
        required = REQUIRED_PARAMS.get(computation, {})
        for key in _keys(params, set(required)):
            add(entry, f"params.{key}", "wordt door deze berekening niet gebruikt")
        for key, (low, high) in required.items():
            value = params.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                add(
                    entry,
                    f"params.{key}",
                    f"moet een geheel getal van {low} tot en met {high} zijn",
                )
        flt = ind.get("filter") or {}
        if not isinstance(flt, dict):
            add(entry, "filter", "moet themes, levels en/of frequencies bevatten")
            flt = {}
        for key in _keys(flt, {"themes", "levels", "frequencies"}):
            add(entry, f"filter.{key}", "onbekend filter")
        allowed = {"levels": set(LEVELS), "frequencies": set(FREQUENCIES), "themes": known_themes}
        for key, values in flt.items():
            if key not in allowed:
                continue
            if not isinstance(values, list) or not values:
                add(entry, f"filter.{key}", "moet een niet-lege lijst zijn")
                continue
            for value in values:
                if _name(value) is None or (allowed[key] is not None and value not in allowed[key]):
                    add(entry, f"filter.{key}", f"onbekende waarde {value!r}"[:200])
        unit = ind.get("unit", "%")
        if _name(unit) not in UNITS:
            add(
                entry,
                "unit",
                f"onbekende eenheid {unit!r}"[:200] + f" (toegestaan: {', '.join(UNITS)})",
            )
        direction = ind.get("direction", "hoger_beter")
        if _name(direction) not in DIRECTIONS:
            add(entry, "direction", f"moet {' of '.join(DIRECTIONS)} zijn")
        _check_thresholds(
            add, entry, direction, ind.get("norm"), ind.get("green"), ind.get("orange")
        )
        out["indicators"].append(
            {
                "code": code,
                "region": region,
                "name": _stripped(ind.get("name")),
                "description": _stripped(ind.get("description")),
                "computation": computation,
                "params": params,
                "filter_themes": flt.get("themes", []),
                "filter_levels": flt.get("levels", []),
                "filter_frequencies": flt.get("frequencies", []),
                "unit": unit,
                "direction": direction,
                "norm": ind.get("norm"),
                "green_threshold": ind.get("green"),
                "orange_threshold": ind.get("orange"),
                "position": i,
            }
        )
    national = {(d["code"], d["direction"]) for d in out["indicators"] if d["region"] is None}
    directions = dict(national)
    norms = data.get("regional_norms") or []
    if not isinstance(norms, list):
        add("regional_norms", "", "moet een lijst van regionale normen zijn")
        norms = []
    for i, norm in enumerate(norms):
        entry = f"regional_norms[{i}]"
        if not isinstance(norm, dict):
            add(entry, "", "moet een regionale norm zijn")
            continue
        for key in _keys(norm, NORM_KEYS):
            add(entry, key, "onbekend veld")
        if _name(norm.get("indicator")) not in directions:
            add(entry, "indicator", f"onbekende landelijke indicator {norm.get('indicator')!r}")
            continue
        if _name(norm.get("region")) is None or (
            known_regions is not None and norm.get("region") not in known_regions
        ):
            add(entry, "region", f"onbekende regio {norm.get('region')!r}")
        _check_thresholds(
            add,
            entry,
            directions[norm["indicator"]],
            norm.get("norm"),
            norm.get("green"),
            norm.get("orange"),
        )
        out["regional_norms"].append(
            {
                "indicator": norm["indicator"],
                "region": norm.get("region"),
                "norm": norm.get("norm"),
                "green_threshold": norm.get("green"),
                "orange_threshold": norm.get("orange"),
            }
        )
    if problems:
        raise IndicatorError(problems)
    return out


def load_file(path: str | Path) -> dict:
    """Read and validate an indicator file against the themes and regions in the database."""
    path = Path(path)
    if path.stat().st_size > uploads.MAX_FILE_BYTES:
        raise IndicatorError(
            [Problem(path.name, "", "", f"groter dan {uploads.MAX_FILE_BYTES // 2**20} MB")]
        )
    themes = {code for (code,) in Theme.select(Theme.code).distinct().tuples()}
    regions = {code for (code,) in Region.select(Region.code).tuples()}
    return load_bytes(path.name, path.read_bytes(), themes or None, regions)


def load_bytes(
    name: str,
    data: bytes,
    known_themes: set[str] | None = None,
    known_regions: set[str] | None = None,
) -> dict:
    """Read and validate the bytes of an indicator file called `name`; anything
    unreadable is an IndicatorError."""
    try:
        document = uploads.yaml_document(data)
    except uploads.UploadError as exc:
        raise IndicatorError([Problem(name, exc.where, "", str(exc))]) from exc
    return validate(document, name, known_themes=known_themes, known_regions=known_regions)


def import_indicators(document: dict) -> dict[str, int]:
    """Insert or update indicator definitions and regional norms; an unchanged
    definition is left alone, a changed one gets a new revision."""
    fields = (*DEFINITION_FIELDS, "position")
    added = changed = 0
    with db.atomic():
        regions = {r.code: r for r in Region.select()}
        for item in document["indicators"]:
            region = regions.get(item["region"]) if item["region"] else None
            definition = IndicatorDefinition.get_or_none(
                IndicatorDefinition.code == item["code"],
                IndicatorDefinition.region.is_null()
                if region is None
                else IndicatorDefinition.region == region,
            )
            if definition is None:
                IndicatorDefinition.create(
                    code=item["code"], region=region, **{f: item[f] for f in fields}
                )
                added += 1
            elif any(getattr(definition, f) != item[f] for f in fields):
                for f in fields:
                    setattr(definition, f, item[f])
                definition.revision += 1
                definition.updated_at = utcnow()
                definition.save()
                changed += 1
        for item in document["regional_norms"]:
            indicator = IndicatorDefinition.get(
                IndicatorDefinition.code == item["indicator"], IndicatorDefinition.region.is_null()
            )
            values = {k: item[k] for k in ("norm", "green_threshold", "orange_threshold")}
            norm = RegionalNorm.get_or_none(indicator=indicator, region=regions[item["region"]])
            if norm is None:
                RegionalNorm.create(indicator=indicator, region=regions[item["region"]], **values)
                added += 1
            elif any(getattr(norm, k) != v for k, v in values.items()):
                RegionalNorm.update(updated_at=utcnow(), **values).where(
                    RegionalNorm.id == norm.id
                ).execute()
                changed += 1
    logger.info("indicators: %d added, %d changed", added, changed)
    return {"added": added, "changed": changed}


def update_definition(actor, definition: IndicatorDefinition, item: dict) -> list:
    """Change one indicator definition after validating it like the data file;
    returns the problems (nothing is stored then). A change bumps the revision,
    so the next batch run recomputes its results."""
    from domain.audit import record

    themes = {code for (code,) in Theme.select(Theme.code).distinct().tuples()}
    regions = {code for (code,) in Region.select(Region.code).tuples()}
    item = {**item, "code": definition.code}
    if definition.region_id:
        item["region"] = definition.region.code
    try:
        document = validate(
            {"indicators": [item]}, "formulier", known_themes=themes or None, known_regions=regions
        )
    except IndicatorError as exc:
        return exc.problems
    new = document["indicators"][0]
    fields = DEFINITION_FIELDS
    changes = {
        f: [getattr(definition, f), new[f]] for f in fields if getattr(definition, f) != new[f]
    }
    if changes:
        for f in changes:
            setattr(definition, f, new[f])
        definition.revision += 1
        definition.updated_at = utcnow()
        definition.save()
        record(
            "indicator_changed",
            user=actor,
            object_type="indicator",
            object_id=definition.id,
            code=definition.code,
            changes={k: [str(a), str(b)] for k, (a, b) in changes.items()},
        )
    return []
