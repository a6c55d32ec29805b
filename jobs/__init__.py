"""Batch jobs: plain, idempotent functions; the scheduler only says when they run."""
