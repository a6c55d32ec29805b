"""Information pages: about this monitor, privacy, contact, how it works per
role, the glossary, and the owner's logo. Public: they hold no data."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, render_template
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape

from domain.scope import roles_of
from models.choices import N_, ROLES
from web.access import access
from web.config import RETENTION_DEFAULTS

bp = Blueprint("info", __name__)

# The order in which the help pages and the home page speak of the roles.
ROLE_ORDER = ("invuller", "manager", "regiocoordinator", "gemeente", "beheerder")

# Anchor, term, explanation. The anchor is what `term()` links to.
GLOSSARY = (
    (
        "afsprakenkader",
        N_("Afsprakenkader"),
        N_(
            "De afspraken die de organisaties in de jeugdketen met elkaar hebben gemaakt, "
            "gegroepeerd in thema's. Er kunnen nieuwe versies komen; een oude zelfevaluatie "
            "verandert daardoor niet."
        ),
    ),
    (
        "afspraak",
        N_("Afspraak"),
        N_(
            "Eén regel uit het afsprakenkader, bijvoorbeeld over het delen van informatie. "
            "Elke afspraak heeft een korte code, zoals VIS-02."
        ),
    ),
    (
        "escalatieladder",
        N_("Escalatieladder"),
        N_(
            "De stappen die u zet als een afspraak niet wordt nagekomen: eerst met de "
            "collega, dan met de leidinggevende, daarna met het bestuur. In de zelfevaluatie "
            "noteert u alleen hoe vaak dat gebeurde en welke stap het hoogst was, nooit "
            "gegevens over cliënten."
        ),
    ),
    (
        "heropend",
        N_("Heropend"),
        N_(
            "Een ingediende zelfevaluatie die de regiocoördinator of de beheerder weer open "
            "heeft gezet, met een reden. U kunt hem dan aanpassen en opnieuw indienen."
        ),
    ),
    (
        "indienen",
        N_("Indienen"),
        N_(
            "De zelfevaluatie afsluiten en aanbieden. Alleen ingediende zelfevaluaties tellen "
            "mee in de resultaten. Meestal dient de manager in."
        ),
    ),
    (
        "nvt",
        N_("N.v.t. (niet van toepassing)"),
        N_(
            "Het antwoord als een afspraak niet voor uw organisatie geldt. U geeft dan altijd "
            "een reden. Een n.v.t.-antwoord telt niet mee in de gemiddelden."
        ),
    ),
    (
        "norm",
        N_("Norm"),
        N_(
            "De waarde die een succesindicator minstens (of hoogstens) moet halen. Voorbeeld: "
            "gemiddelde naleving minstens 75 procent."
        ),
    ),
    (
        "partneroordeel",
        N_("Partneroordeel"),
        N_(
            "Bij een afspraak tussen twee soorten organisaties (bijvoorbeeld Veilig Thuis en "
            "JGZ) geeft u ook aan hoe goed uw partner de afspraak nakomt. Zo staat uw eigen "
            "score naast het oordeel dat uw partners over u gaven."
        ),
    ),
    (
        "peildatum",
        N_("Peildatum"),
        N_(
            "Het moment waarop de cijfers zijn berekend. Zelfevaluaties die daarna zijn "
            "ingediend, tellen pas mee bij de volgende berekening (meestal de volgende nacht "
            "of binnen enkele minuten)."
        ),
    ),
    (
        "regionorm",
        N_("Regionorm"),
        N_(
            "Een eigen norm die een regio voor haar eigen rapporten kan kiezen. Bij een "
            "vergelijking tussen regio's geldt altijd de landelijke norm."
        ),
    ),
    (
        "ronde",
        N_("Ronde"),
        N_(
            "Een periode waarin alle organisaties een zelfevaluatie invullen, meestal een "
            "kwartaal (bijvoorbeeld 2026-Q4: het vierde kwartaal van 2026). Een ronde heeft "
            "een startdatum, een uiterste datum om in te dienen en een sluitingsdatum."
        ),
    ),
    (
        "signaal",
        N_("Signaal (groen, oranje, rood)"),
        N_(
            "De kleur die laat zien hoe een succesindicator ervoor staat ten opzichte van de "
            "norm: groen is op of boven de norm, oranje is dichtbij, rood vraagt aandacht. "
            "Geen kleur betekent: te weinig antwoorden voor een oordeel."
        ),
    ),
    (
        "succesindicator",
        N_("Succesindicator"),
        N_(
            "Een cijfer dat laat zien hoe goed de samenwerking gaat, berekend uit de "
            "zelfevaluaties. Voorbeelden: de gemiddelde naleving van de afspraken, of het "
            "deel van de verbeteracties dat op tijd klaar was."
        ),
    ),
    (
        "uiterste-datum",
        N_("Uiterste datum"),
        N_(
            "De dag waarop de zelfevaluatie ingediend moet zijn. Tot de sluitingsdatum kan "
            "het nog, maar dan telt hij niet als op tijd."
        ),
    ),
    (
        "verbeteractie",
        N_("Verbeteractie"),
        N_(
            "Wat uw organisatie gaat doen om een afspraak beter na te komen, met wie het "
            "doet en wanneer het klaar is. De volgende ronde ziet u of het gelukt is."
        ),
    ),
    (
        "voorlopig",
        N_("Voorlopig"),
        N_(
            "Cijfers van een ronde die nog loopt. Ze kunnen nog veranderen zolang "
            "organisaties indienen. Na de sluitingsdatum zijn ze definitief."
        ),
    ),
    (
        "zelfevaluatie",
        N_("Zelfevaluatie"),
        N_(
            "De vragenlijst die uw organisatie elke ronde invult: per afspraak hoe goed u "
            "die nakomt, met een toelichting en zo nodig een verbeteractie."
        ),
    ),
)
TERMS = {anchor: label for anchor, label, _text in GLOSSARY}


def term(anchor: str, text: str | None = None) -> Markup:
    """A link from a word on a page to its explanation in the glossary."""
    if anchor not in TERMS:
        raise KeyError(f"no glossary entry {anchor!r}")
    from flask import url_for

    label = text if text is not None else gettext(TERMS[anchor]).lower()
    href = url_for("info.glossary") + "#" + anchor
    return Markup('<a class="term" href="{}">{}</a>').format(href, escape(label))


def _my_roles() -> list[str]:
    if not current_user.is_authenticated:
        return []
    held = {r.role for r in roles_of(current_user.user)}
    return [role for role in ROLE_ORDER if role in held]


@bp.route("/over-deze-monitor")
@access("public")
def about():
    return render_template("info/about.html")


@bp.route("/privacyverklaring")
@access("public")
def privacy():
    return render_template("info/privacy.html", retention=_retention())


def _retention() -> dict[str, int]:
    return {key: current_app.config.get(key, days) for key, days in RETENTION_DEFAULTS.items()}


@bp.route("/contact")
@access("public")
def contact():
    return render_template("info/contact.html")


@bp.route("/begrippen")
@access("public")
def glossary():
    return render_template("info/glossary.html", glossary=GLOSSARY)


@bp.route("/hulp")
@access("public")
def help_index():
    return render_template("info/help_index.html", mine=_my_roles(), ROLE_ORDER=ROLE_ORDER)


def _help_view(role: str):
    def view():
        return render_template(
            f"info/help_{role}.html", role=role, mine=_my_roles(), ROLE_ORDER=ROLE_ORDER
        )

    view.__name__ = f"help_{role}"
    return access("public")(view)


# One page per role, each with its own fixed address (no URL argument).
for _role in ROLE_ORDER:
    bp.add_url_rule(f"/hulp/{_role}", endpoint=f"help_{_role}", view_func=_help_view(_role))


LOGO_TYPES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"}


def logo_file(app: Flask) -> Path | None:
    """The owner's logo: OWNER_LOGO as a path under instance/ or static/ (or an
    absolute path); None when unset, missing or not an image."""
    name = app.config.get("OWNER_LOGO") or ""
    if not name:
        return None
    candidates = [Path(name)] if Path(name).is_absolute() else []
    candidates += [Path(app.instance_path) / name, Path(app.static_folder) / name]
    for path in candidates:
        if path.suffix.lower() in LOGO_TYPES and path.is_file():
            return path
    return None


@access("public")
def logo():
    """Answered from memory, as the favicon is: no response holds a file open."""
    path = logo_file(current_app)
    if path is None:  # removed since the start
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def init_app(app: Flask) -> None:
    """Register the pages, the `term()` helper and the owner's details for every template."""
    app.register_blueprint(bp)
    app.jinja_env.globals["term"] = term
    app.jinja_env.globals["ROLE_LABELS"] = ROLES
    has_logo = logo_file(app) is not None
    if has_logo:  # no logo, no route: nothing to answer but "not found"
        app.add_url_rule("/logo", endpoint="owner_logo", view_func=logo)

    @app.context_processor
    def _owner() -> dict:
        config = current_app.config
        return {
            "owner_name": config.get("OWNER_NAME", ""),
            "owner_logo": has_logo,
            "contact_email": config.get("CONTACT_EMAIL", ""),
            "contact_url": config.get("CONTACT_URL", ""),
            "contact_text": config.get("CONTACT_TEXT", ""),
        }
