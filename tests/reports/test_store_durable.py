"""A run's report files reach the disk before any of them is recorded: the
workers write them without flushing each, and one flush of the run's
directory (store.make_durable) comes before store.record."""

import os

import pytest

from models import Cycle
from reports import build, store


def test_every_file_is_flushed_before_the_run_records_them(reports_world, tmp_path, monkeypatch):
    events = []
    flushed_files = []

    def make_durable(directory, each=False):
        assert not each  # a whole run: one flush of the file system
        names = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
        flushed_files.extend(names)
        events.append(("flushed", len(names)))
        real_make_durable(directory, each)

    def record(rows, provisional=False):
        events.append(("recorded", len(rows)))
        real_record(rows, provisional=provisional)

    real_make_durable, real_record = store.make_durable, store.record
    monkeypatch.setattr(store, "make_durable", make_durable)
    monkeypatch.setattr(store, "record", record)
    monkeypatch.setattr(os, "fsync", _no_fsync_while_writing(events))
    written = build.write_cycle_reports(Cycle.get(Cycle.period == "2026-Q2"), tmp_path, processes=1)
    count = sum(written.files.values())
    assert count > 3
    assert events[-2:] == [("flushed", count), ("recorded", count)]
    recorded = {
        f.path.rsplit("/", 1)[-1] for f in store.current_files(Cycle.get(Cycle.period == "2026-Q2"))
    }
    assert recorded == set(flushed_files)


def _no_fsync_while_writing(events):
    """os.fsync that fails while files are being written (no flush per file)
    and is allowed once the run flushes its directory (the fallback)."""
    real = os.fsync

    def fsync(fd):
        if not events:
            raise AssertionError("a report file was flushed on its own while writing")
        return real(fd)

    return fsync


@pytest.mark.parametrize("syncfs", ["linux", "fallback"])
def test_make_durable_flushes_a_directory(tmp_path, monkeypatch, syncfs):
    if syncfs == "fallback":
        monkeypatch.setattr(store, "_SYNCFS", None)
    elif store._SYNCFS is None:
        pytest.skip("no syncfs in this C library")
    run = tmp_path / "2026-Q2" / "run"
    run.mkdir(parents=True)
    for n in range(3):
        store.write_atomic(
            run / f"r{n}.pdf", lambda p, n=n: p.write_bytes(b"%PDF" * n), durable=False
        )
    fsynced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsynced.append(fd), real(fd))[1])
    store.make_durable(run)
    if syncfs == "fallback":
        assert len(fsynced) == 3 + 3  # each file, the run's directory and the two above it
    else:
        assert fsynced == []  # one syncfs instead


def test_make_durable_reports_a_failed_flush(tmp_path, monkeypatch):
    def failing(fd):
        import ctypes

        ctypes.set_errno(5)  # EIO
        return -1

    monkeypatch.setattr(store, "_SYNCFS", failing)
    with pytest.raises(OSError, match="Input/output error"):
        store.make_durable(tmp_path)


def test_a_report_written_on_demand_is_flushed_on_its_own(reports_world, tmp_path, monkeypatch):
    """One report written while someone waits for it is flushed by itself
    (its file and its directory), not with a flush of the whole file system."""
    org = reports_world["orgs"]["A"]
    syncs, fsynced = [], []
    monkeypatch.setattr(store, "_SYNCFS", lambda fd: syncs.append(fd) or 0)
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsynced.append(fd), real(fd))[1])
    written = build.write_cycle_reports(
        Cycle.get(Cycle.period == "2026-Q2"),
        tmp_path,
        processes=1,
        only=("pdf_organisation", "organisatie", org.id),
    )
    assert written.files == {"pdf_organisation": 1}
    assert len(fsynced) == 1 + 3  # the file, its run's directory and the two above it
    assert syncs == []
