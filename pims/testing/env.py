"""Loaded with `-p pims.testing.env` before pytest-django configures Django:
the test settings get throwaway keys and an in-memory SQLite database unless
DATABASE_URL says otherwise (e.g. postgres://... for the PostgreSQL run)."""

import base64
import os
import tempfile

os.environ["PIMS_ENV"] = "test"
os.environ.setdefault("SECRET_KEY", "test-" + base64.b64encode(os.urandom(24)).decode())
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", base64.b64encode(os.urandom(32)).decode())
os.environ.setdefault("BLIND_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
# Backups, audit archives and anchors of a test run never land in the checkout.
os.environ.setdefault("BACKUP_DIR", tempfile.mkdtemp(prefix="pims-test-backups-"))
# Background jobs (imports started on the import page …) run inside the request
# in tests; the tests of the queue itself (pims/jobs/tests) run real workers.
os.environ.setdefault("PIMS_JOB_RUNNER", "inline")
# The product's clock (pims.lib.clock) is pinned for the whole run, so that no
# test depends on the day it runs; CI also runs the suite on awkward days
# (PIMS_CLOCK_TODAY=2027-03-03, 2028-02-29). A test moves it with `travel`.
os.environ.setdefault("PIMS_CLOCK_TODAY", "2026-06-15")
