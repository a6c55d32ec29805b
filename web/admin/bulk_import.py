"""Bulk import of organisations and users: upload, dry run, confirmation, example workbooks."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import time
from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from domain import imports, uploads
from models.choices import N_, ORGANISATION_KINDS, ROLE_SCOPE, ROLES
from web.access import access
from web.admin.blueprint import bp
from web.admin.common import actor, invite_link
from web.form_errors import FieldErrors, page_status

IMPORT_KEEP = dt.timedelta(days=1)


def _import_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - IMPORT_KEEP.total_seconds()
    for old in path.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


@bp.route("/import", methods=["GET", "POST"])
@access("admin")
def bulk_import():
    kind = request.values.get("kind", "organisations")
    if kind not in imports.PLANNERS:
        kind = "organisations"
    if request.method == "GET":
        return _import_page(kind)
    token = request.form.get("token", "")
    if token:
        return _confirm_import(kind, token)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(kind, problem=_("Kies een bestand."))
    suffix = Path(upload.filename).suffix.lower()
    try:
        data = uploads.read_limited(upload.stream)
        result = imports.plan(kind, f"upload{suffix}", data)
    except (uploads.UploadError, imports.ImportFileError) as exc:
        return _import_page(kind, filename=upload.filename, problem=str(exc))
    if not result.ok:
        return _import_page(kind, result, upload.filename, problem=_rows_problem(result))
    token = secrets.token_hex(16)
    (_import_dir() / f"{token}{suffix}").write_bytes(data)
    return _import_page(kind, result, upload.filename, token=token)


def _confirm_import(kind: str, token: str):
    """The confirmation of a dry run: the file was kept under this token."""
    gone = _("Dit importbestand is niet meer beschikbaar. Upload het opnieuw.")
    if not (len(token) == 32 and token.isalnum()):
        return _import_page(kind, problem=gone)
    stored = next(_import_dir().glob(f"{token}.*"), None)
    if stored is None:
        return _import_page(kind, problem=gone)
    # The audit log names the file as the person uploaded it, not the stored
    # copy; the stored suffix (checked at upload) still decides how it is read.
    original = Path(request.form.get("filename", "")).name
    filename = (Path(original).stem[:150] or "import") + stored.suffix
    try:
        result = imports.apply(actor(), kind, filename, stored.read_bytes(), invite_link())
    except imports.ImportFileError as exc:
        return _import_page(kind, problem=str(exc))
    if not result.ok:
        # Something changed since the dry run: nothing was imported.
        return _import_page(
            kind,
            result,
            filename,
            problem=_("Er is niets geïmporteerd: het bestand bevat fouten."),
        )
    stored.unlink(missing_ok=True)
    counts = result.counts()
    flash(
        _(
            "Import voltooid: %(new)s nieuw, %(changed)s gewijzigd, %(same)s ongewijzigd.",
            new=counts["nieuw"],
            changed=counts["gewijzigd"],
            same=counts["ongewijzigd"],
        ),
        "info",
    )
    return redirect(url_for("admin.bulk_import", kind=kind))


def _rows_problem(result) -> str:
    if not result.rows:
        return _("Het bestand bevat geen rijen om te importeren.")
    return _(
        "Rijen met fouten: %(num)s. De tabel hieronder zegt welke; verbeter het bestand "
        "en upload het opnieuw.",
        num=result.counts()["fout"],
    )


def _import_page(kind: str, plan=None, filename: str = "", *, token=None, problem: str = ""):
    """The import page; a problem with the file is shown at the file field."""
    errors = FieldErrors()
    if problem:
        errors.add("file", problem)
    return render_template(
        "admin/import.html",
        kind=kind,
        plan=plan,
        filename=filename,
        token=token,
        errors=errors,
        labels=IMPORT_FIELDS,
        **IMPORT_HELP,
    ), page_status(errors)


IMPORT_FIELDS = {"file": N_("Bestand")}


def upload_too_large(message: str):
    """The import page with the message at the file field, for a post past the
    request limit (nothing of it was read: the kind is the page's own)."""
    kind = request.args.get("kind", "")
    body, _status = _import_page(
        kind if kind in imports.PLANNERS else "organisations", problem=message
    )
    return body, 413


IMPORT_HELP = {"ROLES": ROLES, "ROLE_SCOPE": ROLE_SCOPE}

# Obviously made up, so an example row imported by mistake creates nothing
# real: the names say "fictief" and the addresses end in .invalid, a domain
# that can never receive mail (RFC 2606).
EXAMPLE_ORGANISATION = "Voorbeeldorganisatie (fictief) 1"
IMPORT_EXAMPLES = {
    "organisations": [[EXAMPLE_ORGANISATION, "jgz", "VR24", "GM0935, GM0917", "ja"]],
    "users": [
        [
            "voorbeeld.invuller@voorbeeld.invalid",
            "Voorbeeldpersoon (fictief) A",
            "invuller",
            "",
            EXAMPLE_ORGANISATION,
            "",
            "nl",
            "ja",
        ],
        [
            "voorbeeld.coordinator@voorbeeld.invalid",
            "Voorbeeldpersoon (fictief) B",
            "regiocoordinator",
            "VR24",
            "",
            "",
            "nl",
            "ja",
        ],
    ],
}


@bp.route("/import/voorbeeld/<kind>")
@access("admin")
def import_template(kind: str):
    """An .xlsx with the right column headings, example rows and the allowed codes."""
    if kind not in imports.COLUMNS:
        return render_template("errors/404.html"), 404
    wb = Workbook()
    ws = wb.active
    ws.title = _("Invullen")
    ws.append(list(imports.COLUMNS[kind]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in IMPORT_EXAMPLES[kind]:
        ws.append(row)
    ws["A2"].comment = Comment(
        _("Verzonnen voorbeeld: vervang deze rijen door uw eigen gegevens."), "Afsprakenmonitor"
    )
    for cells in ws.columns:
        ws.column_dimensions[cells[0].column_letter].width = 24
    codes = wb.create_sheet(_("Toegestane waarden"))
    if kind == "users":
        codes.append([_("rol"), _("betekenis"), _("vul ook in")])
        scope_column = {"region": "regio", "organisation": "organisatie", "gemeente": "gemeente"}
        for code, label in ROLES.items():
            codes.append([code, _(label), scope_column.get(ROLE_SCOPE[code], "–")])
    else:
        codes.append([_("soort"), _("betekenis")])
        for code, label in ORGANISATION_KINDS.items():
            codes.append([code, _(label)])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    codes.column_dimensions["A"].width = 20
    codes.column_dimensions["B"].width = 45
    codes.column_dimensions["C"].width = 16
    out = io.BytesIO()
    wb.save(out)
    name = {"organisations": "organisaties", "users": "gebruikers"}[kind]
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="voorbeeld-{name}.xlsx"'},
    )
