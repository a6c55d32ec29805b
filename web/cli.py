"""Command-line commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from models import FrameworkVersion, db

db_cli = AppGroup("db", help="Databaseschema beheren.")
framework_cli = AppGroup("framework", help="Afsprakenkaders importeren en exporteren.")
indicators_cli = AppGroup("indicators", help="Succesindicatoren laden.")
reference_cli = AppGroup("reference", help="Referentiegegevens (regio's en gemeenten).")
mail_cli = AppGroup("mail", help="E-mail uit de outbox.")
cycles_cli = AppGroup("cycles", help="Rondes: herinneringen.")
batch_cli = AppGroup("batch", help="De nachtelijke batch.")
users_cli = AppGroup("users", help="Gebruikers: de eerste beheerder.")
backup_cli = AppGroup("backup", help="Backup en herstel van database en rapportopslag.")


def with_db(func):
    """Run the command inside a database connection."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with db.connection_context():
            return func(*args, **kwargs)

    return wrapper


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _run_job(work) -> None:
    """Run a claimed job with its progress echoed: say when another process
    has it or it is done, exit non-zero when it fails, else show its summary."""
    from jobs.runs import RunSkipped

    try:
        summary = work(lambda message: click.echo(f"  … {message}"))
    except RunSkipped as skipped:
        click.echo(f"Overgeslagen: {skipped}")
        return
    except ValueError as exc:
        _fail(f"Mislukt: {exc}")
    click.echo("Klaar: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@db_cli.command("upgrade")
@with_db
def db_upgrade() -> None:
    """Pas alle openstaande migraties toe."""
    from models.migrate import upgrade

    applied = upgrade(db.obj)
    click.echo(f"Migraties toegepast: {', '.join(applied)}" if applied else "Schema is actueel.")


@db_cli.command("status")
@with_db
def db_status() -> None:
    """Toon welke migraties zijn toegepast."""
    from models.migrate import runner

    for migration in runner(db.obj).status():
        mark = f"toegepast {migration.applied:%Y-%m-%d %H:%M}" if migration.applied else "open"
        click.echo(f"{migration.name}: {mark}")


@reference_cli.command("load")
@with_db
def reference_load() -> None:
    """Laad de 25 regio's en 342 gemeenten."""
    from domain.reference import load_reference_data

    result = load_reference_data()
    click.echo(f"Referentiegegevens: {result['added']} toegevoegd, {result['updated']} bijgewerkt.")


@reference_cli.command("year")
@click.argument("year", type=int)
@click.option(
    "--gemeenten",
    "gemeenten_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: gemeentecode, gemeentenaam, regiocode (als data/gemeenten.csv).",
)
@click.option(
    "--herindelingen",
    "mapping_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: oude_code, nieuwe_code voor elke gemeente die opging in een andere.",
)
@with_db
def reference_year(year: int, gemeenten_file: Path, mapping_file: Path) -> None:
    """Laad de gemeentelijke indeling van een nieuwer jaar (herindelingen)."""
    from domain.reference import ReferenceDataError, load_year, read_rows

    try:
        result = load_year(year, read_rows(gemeenten_file), read_rows(mapping_file))
    except ReferenceDataError as error:
        for problem in error.problems:
            click.echo(f"Fout: {problem}", err=True)
        raise SystemExit(1) from error
    click.echo(
        f"Indeling {year}: {len(result.added)} nieuwe gemeenten, "
        f"{len(result.merged)} opgegaan in een andere, {len(result.renamed)} gewijzigd."
    )
    for old, new in sorted(result.merged.items()):
        click.echo(f"  {old} → {new}")


@framework_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publiceer de versie direct.")
@with_db
def framework_import(file: Path, publish: bool) -> None:
    """Importeer een afsprakenkader uit YAML of Excel (.xlsx)."""
    from domain.framework import FrameworkError, import_framework, load_file

    try:
        fw, created = import_framework(load_file(file), publish=publish)
    except FrameworkError as exc:
        _fail(f"Het kader is niet geïmporteerd:\n{exc}")
    verb = "geïmporteerd" if created else "ongewijzigd (al aanwezig)"
    click.echo(f"{fw.title} versie {fw.version}: {verb}, status {fw.state}.")


@framework_cli.command("export")
@click.option("--slug", default="landelijk", show_default=True)
@click.option("--version", "version", type=int, help="Standaard de nieuwste versie.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Bestand (.yaml of .xlsx); zonder: YAML naar standaarduitvoer.",
)
@with_db
def framework_export(slug: str, version: int | None, output: Path | None) -> None:
    """Exporteer een afsprakenkader naar YAML of Excel."""
    from domain.framework import export_framework, to_xlsx, to_yaml

    query = FrameworkVersion.select().where(FrameworkVersion.slug == slug)
    if version is not None:
        query = query.where(FrameworkVersion.version == version)
    fw = query.order_by(FrameworkVersion.version.desc()).first()
    if fw is None:
        _fail(f"Kader {slug!r}{f' versie {version}' if version else ''} bestaat niet.")
    document = export_framework(fw)
    if output is None:
        click.echo(to_yaml(document), nl=False)
    elif output.suffix.lower() == ".xlsx":
        to_xlsx(document, output)
        click.echo(f"Geschreven: {output}")
    else:
        output.write_text(to_yaml(document), encoding="utf-8")
        click.echo(f"Geschreven: {output}")


@indicators_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_db
def indicators_import(file: Path) -> None:
    """Laad succesindicatoren uit een YAML-bestand."""
    from domain.indicators import IndicatorError, import_indicators, load_file

    try:
        result = import_indicators(load_file(file))
    except IndicatorError as exc:
        _fail(f"De indicatoren zijn niet geladen:\n{exc}")
    click.echo(f"Indicatoren: {result['added']} toegevoegd, {result['changed']} gewijzigd.")


@mail_cli.command("deliver")
@with_db
def mail_deliver() -> None:
    """Verstuur de e-mails die klaarstaan (met nieuwe pogingen na een storing)."""
    from flask import current_app

    from domain.mail import MailSettings
    from jobs.nightly import deliver_mail
    from web.links import reset_link

    counts = deliver_mail(MailSettings.from_config(current_app.config), reset_link(current_app))
    click.echo(
        f"Verzonden: {counts['sent']}, later opnieuw: {counts['retry']}, "
        f"opgegeven: {counts['failed']}."
    )


@cycles_cli.command("remind")
@click.option("--date", "day", help="Datum (JJJJ-MM-DD); standaard vandaag.")
@with_db
def cycles_remind(day: str | None) -> None:
    """Zet de herinneringen van vandaag klaar (op de ingestelde dagen vóór de uiterste datum)."""
    from flask import current_app

    from domain.cycles import send_reminders
    from web.links import assessment_link

    when = dt.date.fromisoformat(day) if day else dt.date.today()
    count = send_reminders(when, assessment_link(current_app))
    click.echo(f"Herinneringen klaargezet: {count} (verstuur ze met 'mail deliver').")


@batch_cli.command("run")
@click.option("--date", "day", help="De nacht van (JJJJ-MM-DD); standaard vandaag.")
@click.option("--cycle", "period", help="Alleen de resultaten van deze ronde herberekenen.")
@click.option("--force", is_flag=True, help="Opnieuw, ook als het al gedaan is.")
@with_db
def batch_run(day: str | None, period: str | None, force: bool) -> None:
    """Draai de nachtelijke batch nu (of herbereken één ronde)."""
    from flask import current_app

    from jobs.nightly import run_nightly, run_recompute
    from web.links import batch_settings

    def work(say) -> dict:
        if period:
            return run_recompute(period, force=force, progress=say)
        when = dt.date.fromisoformat(day) if day else dt.date.today()
        return run_nightly(when, settings=batch_settings(current_app), force=force, progress=say)

    _run_job(work)


def _cycle_or_fail(period: str):
    from models import Cycle

    cycle = Cycle.get_or_none(Cycle.period == period)
    if cycle is None:
        _fail(f"Ronde {period} bestaat niet.")
    return cycle


@batch_cli.command("reports")
@click.option("--cycle", "period", required=True, help="De ronde, bijv. 2026-Q3.")
@with_db
def batch_reports(period: str) -> None:
    """Schrijf alle rapporten van een ronde opnieuw (Excel en PDF) in de rapportopslag."""
    from flask import current_app

    from reports.build import cycles_with_submissions, write_cycle_reports

    cycle = _cycle_or_fail(period)
    if cycle.id not in cycles_with_submissions():
        _fail(f"Ronde {period} heeft nog geen ingediende zelfevaluaties: geen rapporten.")
    written = write_cycle_reports(
        cycle, current_app.config["REPORTS_DIR"], progress=lambda m: click.echo(f"  … {m}")
    )
    click.echo(
        f"Klaar: {sum(written.files.values())} bestanden in {written.directory} "
        f"({', '.join(f'{k} {v}' for k, v in written.files.items())})."
    )
    for failure in written.failed:
        click.echo(f"Mislukt: {failure}", err=True)
    if written.failed:
        raise SystemExit(1)


@batch_cli.command("distribute")
@click.option("--cycle", "period", required=True, help="De gesloten ronde, bijv. 2026-Q3.")
@click.option("--force", is_flag=True, help="Opnieuw nalopen (niemand krijgt iets dubbel).")
@with_db
def batch_distribute(period: str, force: bool) -> None:
    """Zet de kwartaalrapporten van een gesloten ronde klaar voor verzending per e-mail."""
    from flask import current_app

    from jobs.distribution import distribute
    from web.links import batch_settings

    settings = batch_settings(current_app)
    cycle = _cycle_or_fail(period)
    _run_job(
        lambda say: distribute(
            cycle, settings.reports_dir, settings.reports_link, force=force, progress=say
        )
    )


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="De naam van de beheerder.")
@with_db
def users_create_admin(email: str, name: str) -> None:
    """Maak een beheerder aan en zet een uitnodiging klaar (de eerste, op een nieuwe server)."""
    from flask import current_app

    from domain.accounts import AccountError, create_user, grant_role, send_invitation
    from web.links import invitation_link

    try:
        with db.atomic():
            user = create_user(None, email, name)
            grant_role(None, user, "beheerder", None)
            send_invitation(None, user, invitation_link(current_app))
    except AccountError as exc:
        _fail(f"Niet aangemaakt: {exc}")
    click.echo(
        f"Beheerder {user.email} aangemaakt; de uitnodiging staat in de outbox "
        "(de planner verstuurt haar, of nu met 'mail deliver')."
    )


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_db
def backup_create(directory: Path) -> None:
    """Schrijf een backup van de database en de rapportopslag in een nieuwe map."""
    from flask import current_app

    from jobs.backup import BackupError, create

    try:
        done = create(db.obj, Path(current_app.config["REPORTS_DIR"]), directory)
    except BackupError as exc:
        _fail(f"Geen backup gemaakt: {exc}")
    click.echo(f"Backup ({done.backend}) in {done.directory}: {done.report_files} rapporten.")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_db
def backup_restore(directory: Path) -> None:
    """Zet een backup terug in de (lege) database van DATABASE_URL en de rapportopslag."""
    from flask import current_app

    from jobs.backup import BackupError, restore

    try:
        done = restore(db.obj, Path(current_app.config["REPORTS_DIR"]), directory)
    except BackupError as exc:
        _fail(f"Niet teruggezet: {exc}")
    upgraded = f"; migraties toegepast: {', '.join(done.migrations)}" if done.migrations else ""
    click.echo(f"Teruggezet uit {done.directory}: {done.report_files} rapporten{upgraded}.")


@click.command("scheduler")
def scheduler() -> None:
    """Start de planner (een eigen proces naast de webserver)."""
    from flask import current_app

    from jobs.schedule import build_scheduler, stop_on_signals
    from web.links import batch_settings, status_link

    planner = build_scheduler(
        current_app.config, batch_settings(current_app), status_link(current_app)
    )
    for job in planner.get_jobs():
        click.echo(f"Taak {job.id}: {job.trigger}")
    click.echo("Planner gestart (Ctrl+C om te stoppen).")
    # SIGTERM (systemd, make serve) and Ctrl+C: the running jobs stop at a safe point first.
    stop_on_signals(planner)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        planner.start()
    from jobs.status import forget

    with db.connection_context():
        forget("scheduler")
    click.echo("Planner gestopt.")


@click.command("demo")
@click.option(
    "--scale",
    type=click.Choice(["small", "regional", "national"]),
    default="small",
    show_default=True,
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--until", "until", help="Laatste periode, bijv. 2026-Q4 (standaard: de huidige).")
@click.option("--reset", is_flag=True, help="Verwijder eerst bestaande demogegevens.")
@with_db
def demo(scale: str, seed: int, until: str | None, reset: bool) -> None:
    """Genereer demogegevens (deterministisch per schaal, seed en periode)."""
    from demo import clear_demo_data, generate, has_demo_data

    if has_demo_data():
        if not reset:
            _fail("Er zijn al organisaties. Gebruik --reset om de demogegevens te vervangen.")
        clear_demo_data()
    started = time.monotonic()
    counts = generate(
        scale, seed, last_period=until, progress=lambda message: click.echo(f"  … {message}")
    )
    click.echo(
        f"Demogegevens ({scale}, seed {seed}) in {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{k} {v:,}".replace(",", ".") for k, v in counts.items())
    )


@click.command("setup")
@click.option("--no-demo", is_flag=True, help="Geen demogegevens genereren.")
@with_appcontext
@with_db
def setup(no_demo: bool) -> None:
    """Migreer, laad referentiegegevens, standaardkader en -indicatoren en (eerste keer)
    de kleine demoset. Opnieuw uitvoeren dupliceert niets."""
    from demo import DEMO_PASSWORD, generate, has_demo_data
    from domain import framework, indicators
    from domain.reference import load_reference_data
    from models.migrate import upgrade

    applied = upgrade(db.obj)
    click.echo(f"Migraties: {', '.join(applied) if applied else 'schema is actueel'}")
    load_reference_data()
    fw, created = framework.import_framework(
        framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True
    )
    click.echo(f"Afsprakenkader: {fw.title} v{fw.version} ({'nieuw' if created else 'aanwezig'})")
    result = indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    click.echo(f"Indicatoren: {result['added']} toegevoegd, {result['changed']} gewijzigd")
    if not no_demo and not has_demo_data():
        counts = generate("small", 1)
        click.echo(
            f"Demogegevens (small): {counts['organisations']} organisaties, "
            f"{counts['answers']} antwoorden"
        )
    if has_demo_data():
        _figures_and_reports()
        _print_demo_logins(DEMO_PASSWORD)


def _figures_and_reports() -> None:
    """The demo's figures and reports, so the site shows results straight away."""
    from flask import current_app

    from jobs.nightly import refresh_results
    from jobs.runs import claimed_run

    started = time.monotonic()
    # Recorded like any run, so Batchlog and Status show what set-up computed.
    with claimed_run("setup", f"{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}") as run:
        done = refresh_results(Path(current_app.config["REPORTS_DIR"]), latest=2)
        run.beat(
            cycles_recomputed=done["cycles_recomputed"], reports_written=done["reports_written"]
        )
    reports = sum(done["reports_written"].values())
    periods = ", ".join(done["reports_written"]) or "geen"
    click.echo(
        f"Cijfers: {done['cycles_recomputed']} rondes berekend; rapporten van {periods}: "
        f"{reports} bestanden ({time.monotonic() - started:.1f} s). De rapporten van "
        "eerdere rondes worden geschreven zodra iemand ze opent (of met 'batch reports')."
    )


def _print_demo_logins(password: str) -> None:
    from models import RoleAssignment, User
    from models.choices import ROLES

    click.echo(f"\nDemo-accounts (wachtwoord voor allemaal: {password}):")
    for role in ROLES:
        user = (
            User.select(User.email)
            .join(RoleAssignment)
            .where(RoleAssignment.role == role, User.email.endswith("@demo.afsprakenmonitor.nl"))
            .order_by(User.id)
            .first()
        )
        if user:
            click.echo(f"  {ROLES[role]:<18} {user.email}")
    # `setup` starts no site: say how to start one instead of naming an address.
    click.echo(
        f"\nKlaar ({dt.date.today():%d-%m-%Y}). Deze opdracht start geen site; "
        "start hem met `make run` (poort 5000, een andere met PORT=8080) "
        "of `flask --app wsgi run --port 5000`."
    )


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (
        db_cli,
        framework_cli,
        indicators_cli,
        reference_cli,
        mail_cli,
        cycles_cli,
        batch_cli,
        backup_cli,
        users_cli,
        scheduler,
        demo,
        setup,
    ):
        app.cli.add_command(command)
