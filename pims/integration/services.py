"""The integration app's entry points (writes): one import per source on the
shared pipeline (pims.integration.pipeline). Views, commands and tasks call
these; the stages live in pims.integration.sources.<source>."""

from pims.integration.pipeline.duplicates import duplicate_dismiss, duplicates_find, may_find_duplicates
from pims.integration.pipeline.job import ImportRefused, import_dir, may_import, rejected_store
from pims.integration.pipeline.review import intake_record_accept, intake_record_dismiss
from pims.integration.pipeline.sql import insert_select
from pims.integration.sources.civil.run import civil_import, civil_import_prepare, may_import_civil
from pims.integration.sources.health.run import health_import, health_import_prepare, may_import_health
from pims.integration.sources.police.run import police_import, police_import_prepare
from pims.integration.sources.police_changes.run import (
    may_import_police_changes,
    police_changes_import,
    police_changes_import_prepare,
)

__all__ = [
    "ImportRefused",
    "civil_import",
    "duplicate_dismiss",
    "duplicates_find",
    "civil_import_prepare",
    "health_import",
    "health_import_prepare",
    "import_dir",
    "insert_select",
    "intake_record_accept",
    "intake_record_dismiss",
    "may_find_duplicates",
    "may_import",
    "may_import_civil",
    "may_import_health",
    "may_import_police_changes",
    "police_changes_import",
    "police_changes_import_prepare",
    "police_import",
    "police_import_prepare",
    "rejected_store",
]
