"""The rejected-rows file every import writes (its extra columns are ignored on re-import)."""

from pathlib import Path

from pims.integration.models import ImportJob
from pims.integration.reader import original_lines, read_header
from pims.lib import spreadsheet

# Columns added to the rejected-rows file; a re-import ignores them.
REJECTED_EXTRA = ["原行号", "错误规则", "错误说明"]


def write_rejected(job: ImportJob, path: Path, rejected: dict[int, tuple[str, str]], directory: Path) -> Path:
    """The rejected rows as the file had them, plus the rule ids and messages:
    the clerk corrects them and imports this file again (the two extra
    columns are ignored)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    out = directory / f"{Path(job.file_name).stem}.rejected-{job.pk}.csv"
    header = read_header(path, job.file_format, job.encoding)
    # A rejected-rows file imported again: its own extra columns are replaced.
    width = len(header) - len(REJECTED_EXTRA) if header[-len(REJECTED_EXTRA) :] == REJECTED_EXTRA else len(header)
    header = header[:width]
    out.touch(mode=0o600)  # plaintext ID numbers: readable by the service account only
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = spreadsheet.csv_writer(fh)
        writer.writerow([*header, *REJECTED_EXTRA])
        seen = set()
        for line, cells in original_lines(path, job.file_format, job.encoding, set(rejected)):
            rules, reasons = rejected[line]
            # A short row (P02) is padded: the extra columns stay under their headers.
            writer.writerow([*(cells + [""] * width)[:width], line, rules, reasons])
            seen.add(line)
        for line in sorted(set(rejected) - seen):  # lines the file no longer has (truncated since)
            rules, reasons = rejected[line]
            writer.writerow([""] * len(header) + [line, rules, reasons])
    return out
