"""Bulk import of organisations and users from .xlsx or .csv.

A plan is made first (the dry run): every row gets an outcome — nieuw,
gewijzigd, ongewijzigd or fout — and every error names its row and column.
Applying re-plans inside one transaction and writes nothing if any row fails.
Importing the same file twice changes nothing the second time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from domain import accounts, api_tokens, uploads
from domain.audit import record
from domain.inputs import LIMITS, has_control, line_problem, shortened, visible
from models import (
    Gemeente,
    Organisation,
    OrganisationGemeente,
    Region,
    RoleAssignment,
    User,
    db,
)
from models.choices import ORGANISATION_KINDS, ROLE_SCOPE, ROLES
from models.db import analyze

logger = logging.getLogger(__name__)

MAX_ROWS = uploads.MAX_ROWS

# Column name → the header spellings accepted for it (compared in lower case).
COLUMNS = {
    "organisations": {
        "naam": ("naam", "name", "organisatie"),
        "soort": ("soort", "kind", "type"),
        "regio": ("regio", "region", "regiocode"),
        "gemeenten": ("gemeenten", "gemeente", "municipalities"),
        "actief": ("actief", "active"),
    },
    "users": {
        "e-mail": ("e-mail", "email", "e-mailadres", "emailadres"),
        "naam": ("naam", "name"),
        "rol": ("rol", "role"),
        "regio": ("regio", "region", "regiocode"),
        "organisatie": ("organisatie", "organisation", "organization"),
        "gemeente": ("gemeente", "gemeentecode", "municipality"),
        "taal": ("taal", "language", "locale"),
        "actief": ("actief", "active"),
    },
}
REQUIRED = {"organisations": ("naam", "soort", "regio"), "users": ("e-mail", "naam")}
YES = {"ja", "j", "yes", "y", "true", "waar", "1", "x"}
NO = {"nee", "n", "no", "false", "onwaar", "0"}


class ImportFileError(ValueError):
    """The file cannot be read as a table at all."""


@dataclass
class RowResult:
    row: int
    key: str
    outcome: str = "ongewijzigd"  # nieuw, gewijzigd, ongewijzigd, fout
    changes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    data: dict = field(default_factory=dict, repr=False)  # what applying will write

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))
        self.outcome = "fout"


@dataclass
class ImportPlan:
    kind: str
    rows: list[RowResult]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("nieuw", "gewijzigd", "ongewijzigd", "fout"), 0)
        for r in self.rows:
            out[r.outcome] += 1
        return out


# --- reading -----------------------------------------------------------------


def read_table(filename: str, data: bytes, kind: str) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, {column: text}) with known columns only.
    The file is read within the limits of `domain.uploads`."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".xlsx":
            raw = uploads.xlsx_rows(data)
        elif suffix == ".csv":
            raw = uploads.csv_rows(data)
        else:
            raise ImportFileError("Kies een .xlsx- of .csv-bestand.")
    except uploads.UploadError as exc:
        raise ImportFileError(str(exc)) from exc
    if not raw:
        raise ImportFileError("Het bestand is leeg.")
    header, *body = raw
    names = {}
    for index, title in enumerate(header):
        title = (title or "").strip().lower()
        for column, spellings in COLUMNS[kind].items():
            if title in spellings:
                names[index] = column
    missing = [c for c in REQUIRED[kind] if c not in names.values()]
    if missing:
        raise ImportFileError(
            "Verplichte kolom ontbreekt: "
            + ", ".join(f"'{m}'" for m in missing)
            + ". De eerste rij moet de kolomnamen bevatten."
        )
    if len(body) > MAX_ROWS:
        raise ImportFileError(
            f"Het bestand heeft meer dan {MAX_ROWS} rijen; de grens is {MAX_ROWS}."
        )
    rows = []
    for number, values in enumerate(body, start=2):
        row = {names[i]: (v or "").strip() for i, v in enumerate(values) if i in names}
        if any(row.values()):
            rows.append((number, row))
    return rows


# The longest text per column (domain.inputs.LIMITS); other columns hold codes
# or names of things that exist, so the longest name is their limit.
COLUMN_LIMITS = {"e-mail": LIMITS["email"], "naam": LIMITS["name"]}


def _check_text(row: dict[str, str], result: RowResult) -> None:
    """Every column goes through the one check of single-line text (control
    characters, length), with the column named."""
    for column, value in row.items():
        limit = COLUMN_LIMITS.get(column, LIMITS["name"])
        problem = line_problem(value, limit)
        if problem and has_control(value, multiline=False):
            result.error(column, "bevat een onzichtbaar stuurteken (hier als \ufffd getoond)")
        elif problem:
            result.error(column, f"is langer dan {limit} tekens")
    result.key = visible(shortened(result.key, LIMITS["name"]))


def _bool(value: str, result: RowResult, column: str, default: bool = True) -> bool:
    if not value:
        return default
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    result.error(column, f"'{value}' is geen ja of nee")
    return default


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


class _Lookup:
    """Reference data by code and by lower-case name, read once per plan."""

    def __init__(self) -> None:
        self.regions = {}
        for r in Region.select():
            self.regions[r.code.lower()] = r
            self.regions[r.name.lower()] = r
        self.gemeenten = {}
        for g in Gemeente.select().where(Gemeente.active == True):  # noqa: E712
            self.gemeenten[g.code.lower()] = g
            self.gemeenten[g.name.lower()] = g
        kinds = {}
        for code, label in ORGANISATION_KINDS.items():
            kinds[code] = code
            kinds[label.lower()] = code
        self.kinds = kinds
        roles = {}
        for code, label in ROLES.items():
            roles[code] = code
            roles[label.lower()] = code
        roles["regiocoördinator"] = "regiocoordinator"
        self.roles = roles


# --- organisations -----------------------------------------------------------


def plan_organisations(rows: list[tuple[int, dict[str, str]]]) -> ImportPlan:
    """What importing these organisation rows would do."""
    look = _Lookup()
    existing = {(o.region_id, o.name.lower()): o for o in Organisation.select()}
    served: dict[int, set[int]] = {}
    for org_id, gemeente_id in OrganisationGemeente.select(
        OrganisationGemeente.organisation, OrganisationGemeente.gemeente
    ).tuples():
        served.setdefault(org_id, set()).add(gemeente_id)
    seen: dict[tuple, int] = {}
    results = []
    for number, row in rows:
        result = RowResult(number, row.get("naam", ""))
        _check_text(row, result)
        name = row.get("naam", "")
        if not name:
            result.error("naam", "ontbreekt")
        kind = look.kinds.get(row.get("soort", "").lower())
        if kind is None:
            result.error("soort", f"onbekende soort '{row.get('soort', '')}'")
        region = look.regions.get(row.get("regio", "").lower())
        if region is None:
            result.error("regio", f"onbekende regio '{row.get('regio', '')}'")
        gemeenten = []
        for part in _split(row.get("gemeenten", "")):
            g = look.gemeenten.get(part.lower())
            if g is None:
                result.error("gemeenten", f"onbekende gemeente '{part}'")
            elif region is not None and g.region_id != region.id:
                result.error("gemeenten", f"{g.name} ligt niet in regio {region.name}")
            else:
                gemeenten.append(g)
        active = _bool(row.get("actief", ""), result, "actief")
        if region is not None and name:
            key = (region.id, name.lower())
            if key in seen:
                result.error("naam", f"staat al in rij {seen[key]}")
            seen[key] = number
        if result.errors:
            results.append(result)
            continue
        org = existing.get((region.id, name.lower()))
        wanted_gemeenten = {g.id for g in gemeenten}
        if org is None:
            result.outcome = "nieuw"
        else:
            if org.kind != kind:
                result.changes.append(f"soort: {org.kind} → {kind}")
            if org.active != active:
                result.changes.append(f"actief: {'ja' if active else 'nee'}")
            if gemeenten and served.get(org.id, set()) != wanted_gemeenten:
                result.changes.append("gemeenten")
            if org.name != name:
                result.changes.append(f"naam: {org.name} → {name}")
            result.outcome = "gewijzigd" if result.changes else "ongewijzigd"
        result.data = {
            "org": org,
            "name": name,
            "kind": kind,
            "region": region,
            "active": active,
            "gemeenten": wanted_gemeenten if gemeenten else None,
        }
        results.append(result)
    return ImportPlan("organisations", results)


def _apply_organisations(plan: ImportPlan) -> None:
    for result in plan.rows:
        if result.outcome not in ("nieuw", "gewijzigd"):
            continue
        d = result.data
        org = d["org"]
        if org is None:
            org = Organisation.create(
                name=d["name"], kind=d["kind"], region=d["region"], active=d["active"]
            )
        else:
            Organisation.update(name=d["name"], kind=d["kind"], active=d["active"]).where(
                Organisation.id == org.id
            ).execute()
        if d["gemeenten"] is not None:
            OrganisationGemeente.delete().where(OrganisationGemeente.organisation == org).execute()
            OrganisationGemeente.insert_many(
                [(org.id, g) for g in sorted(d["gemeenten"])],
                fields=[OrganisationGemeente.organisation, OrganisationGemeente.gemeente],
            ).execute()


# --- users -------------------------------------------------------------------


def plan_users(rows: list[tuple[int, dict[str, str]]]) -> ImportPlan:
    """What importing these user rows would do."""
    look = _Lookup()
    users = {u.email: u for u in User.select()}
    orgs_by_name: dict[str, list[Organisation]] = {}
    for org in Organisation.select():
        orgs_by_name.setdefault(org.name.lower(), []).append(org)
    held = {
        (a.user_id, a.role, a.region_id, a.organisation_id, a.gemeente_id)
        for a in RoleAssignment.select()
    }
    first_row: dict[str, tuple[int, dict]] = {}
    planned_roles: set[tuple] = set()
    results = []
    for number, row in rows:
        email = accounts.normalise_email(row.get("e-mail", ""))
        result = RowResult(number, email)
        _check_text(row, result)
        if "@" not in email or len(email) > 254 or " " in email:
            result.error("e-mail", f"'{row.get('e-mail', '')}' is geen geldig e-mailadres")
        name = row.get("naam", "")
        if not name:
            result.error("naam", "ontbreekt")
        locale = (row.get("taal") or "nl").lower()
        if locale not in ("nl", "en"):
            result.error("taal", f"'{row.get('taal')}' is geen nl of en")
        active = _bool(row.get("actief", ""), result, "actief")
        role, target = None, None
        if row.get("rol"):
            role = look.roles.get(row["rol"].lower())
            if role is None:
                result.error("rol", f"onbekende rol '{row['rol']}'")
            else:
                target = _role_target(role, row, look, orgs_by_name, result)
        if email in first_row and not result.errors:
            earlier_number, earlier = first_row[email]
            if (earlier["name"], earlier["locale"], earlier["active"]) != (name, locale, active):
                result.error("naam", f"naam, taal of actief verschilt van rij {earlier_number}")
        if result.errors:
            results.append(result)
            continue
        user = users.get(email)
        role_key = None
        if role is not None:
            scope = ROLE_SCOPE[role]
            role_key = (
                role,
                target.id if scope == "region" else None,
                target.id if scope == "organisation" else None,
                target.id if scope == "gemeente" else None,
            )
        if user is None and email not in first_row:
            result.outcome = "nieuw"
        elif user is not None and email not in first_row:
            for key, new in (("name", name), ("locale", locale), ("active", active)):
                if getattr(user, key) != new:
                    result.changes.append(f"{key}: {getattr(user, key)} → {new}")
        if role_key is not None:
            already = user is not None and (user.id, *role_key) in held
            if not already and (email, role_key) not in planned_roles:
                result.changes.append(
                    f"rol: {ROLES[role]}" + (f" – {target.name}" if target else "")
                )
                planned_roles.add((email, role_key))
        if result.outcome != "nieuw":
            result.outcome = "gewijzigd" if result.changes else "ongewijzigd"
        first_row.setdefault(email, (number, {"name": name, "locale": locale, "active": active}))
        result.data = {
            "email": email,
            "name": name,
            "locale": locale,
            "active": active,
            "role": role,
            "target": target,
        }
        results.append(result)
    return ImportPlan("users", results)


def _role_target(role, row, look: _Lookup, orgs_by_name, result: RowResult):
    scope = ROLE_SCOPE[role]
    if scope is None:
        return None
    if scope == "region":
        region = look.regions.get(row.get("regio", "").lower())
        if region is None:
            result.error("regio", f"onbekende regio '{row.get('regio', '')}'")
        return region
    if scope == "gemeente":
        g = look.gemeenten.get(row.get("gemeente", "").lower())
        if g is None:
            result.error("gemeente", f"onbekende gemeente '{row.get('gemeente', '')}'")
        return g
    candidates = orgs_by_name.get(row.get("organisatie", "").lower(), [])
    if row.get("regio"):
        region = look.regions.get(row["regio"].lower())
        candidates = [o for o in candidates if region and o.region_id == region.id]
    if not candidates:
        result.error("organisatie", f"onbekende organisatie '{row.get('organisatie', '')}'")
        return None
    if len(candidates) > 1:
        result.error("regio", "meerdere organisaties met deze naam: vul de regio in")
        return None
    return candidates[0]


def _apply_users(actor: User, plan: ImportPlan, link_for) -> int:
    new_users: dict[str, User] = {}
    for result in plan.rows:
        d = result.data
        user = new_users.get(d["email"]) or User.get_or_none(User.email == d["email"])
        if user is None:
            user = accounts.create_user(actor, d["email"], d["name"], d["locale"])
            if not d["active"]:
                User.update(active=False).where(User.id == user.id).execute()
            new_users[d["email"]] = user
        elif d["email"] not in new_users and result.outcome == "gewijzigd":
            deactivated = user.active and not d["active"]
            User.update(
                name=d["name"],
                locale=d["locale"],
                active=d["active"],
                # Deactivating ends every session, as on the user's page.
                session_version=User.session_version + (1 if deactivated else 0),
            ).where(User.id == user.id).execute()
            if deactivated:
                api_tokens.revoke_all(user, "deactivated", actor=actor)
        if d["role"] is not None:
            accounts.grant_role(actor, user, d["role"], d["target"])
    for user in new_users.values():
        if user.active:
            accounts.send_invitation(actor, user, link_for)
    return len(new_users)


# --- entry points ------------------------------------------------------------

PLANNERS = {"organisations": plan_organisations, "users": plan_users}
# What an import writes, so the planner's statistics can follow a large load.
IMPORTED_TABLES = {
    "organisations": (Organisation, OrganisationGemeente),
    "users": (User, RoleAssignment),
}


def plan(kind: str, filename: str, data: bytes) -> ImportPlan:
    """The dry run: read the file and say what each row would do."""
    return PLANNERS[kind](read_table(filename, data, kind))


def apply(actor: User, kind: str, filename: str, data: bytes, link_for) -> ImportPlan:
    """Import the file in one transaction, only when every row is valid."""
    rows = read_table(filename, data, kind)
    with db.atomic():
        result = PLANNERS[kind](rows)
        if not result.ok:
            return result
        if kind == "organisations":
            _apply_organisations(result)
        else:
            _apply_users(actor, result, link_for)
        record("import", user=actor, object_type=kind, file=filename, **result.counts())
    analyze(*IMPORTED_TABLES[kind])
    logger.info("import %s from %s by %s: %s", kind, filename, actor.email, result.counts())
    return result
