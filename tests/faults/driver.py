"""A batch process with a fault injected at a chosen step, for the fault
tests: `python -m tests.faults.driver FAULT COMMAND [ARG]`.

COMMAND is `nightly DAY` (one nightly run, as `flask batch run --date DAY`
does) or `scheduler` (the real `flask scheduler` command). FAULT is `none` or
one of FAULTS: the process kills (SIGKILL) or freezes (SIGSTOP) itself at
that step, or works slowly there. The database, report store and mail server
come from the environment, as for the real commands."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time


def _kill() -> None:
    print("fault: killed here", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _freeze() -> None:
    print("fault: frozen here", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
    print("fault: resumed", flush=True)


def _before(module, name: str, action) -> None:
    """Run `action` before every call of module.name."""
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        action(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(module, name, wrapped)


def _slow(*args, **kwargs) -> None:
    time.sleep(float(os.environ.get("FAULT_SLOW_SECONDS", "0.3")))


def _after_queued(count: int):
    queued = []

    def action(*args, **kwargs) -> None:
        queued.append(1)
        if len(queued) > count:
            _kill()

    return action


def _final_record(rows, provisional=False) -> None:
    if rows and not provisional:
        _kill()


def inject(fault: str) -> None:
    import jobs.distribution
    import jobs.nightly
    import reports.build
    import reports.store
    from domain import cycles

    if fault == "none":
        return
    if fault == "kill-after-close":  # the cycles are closed, nothing else done
        _before(cycles, "send_reminders", lambda *a, **k: _kill())
    elif fault == "freeze-after-close":
        _before(cycles, "send_reminders", lambda *a, **k: _freeze())
    elif fault == "kill-before-final-record":  # final reports written, not recorded
        _before(reports.store, "record", _final_record)
    elif fault == "kill-before-distribution":
        _before(jobs.nightly, "distribute", lambda *a, **k: _kill())
    elif fault == "kill-in-distribution":  # two report mails queued, then killed
        _before(jobs.distribution, "queue_template", _after_queued(2))
    elif fault == "kill-before-mail":
        _before(jobs.nightly, "deliver_mail", lambda *a, **k: _kill())
    elif fault == "slow-reports":  # every report takes a while to write
        for name in ("write_pdf", "region_workbook", "gemeente_workbook"):
            _before(reports.build, name, _slow)
    else:
        raise SystemExit(f"unknown fault {fault!r}")


def main(argv: list[str]) -> int:
    fault, command, *rest = argv
    inject(fault)
    if command == "scheduler":
        from flask.cli import main as flask_main

        sys.argv = ["flask", "--app", "wsgi", "scheduler"]
        flask_main()
        return 0
    from jobs.nightly import run_nightly
    from jobs.runs import RunSkipped
    from models import db
    from web import create_app
    from web.links import batch_settings

    app = create_app()
    with app.app_context(), db.connection_context():
        try:
            summary = run_nightly(
                dt.date.fromisoformat(rest[0]),
                settings=batch_settings(app),
                force="--force" in rest,
                progress=lambda message: print(f"  … {message}", flush=True),
            )
        except RunSkipped as skipped:
            print(f"Overgeslagen: {skipped}", flush=True)
            return 3
    print(f"Klaar: {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
