"""The rejected-rows file every import writes (its extra columns are ignored on re-import)."""

from pathlib import Path

from pims.integration.models import ImportJob
from pims.integration.reader import original_lines, read_header
from pims.lib import spreadsheet

# Columns added to the rejected-rows file; a re-import ignores them.
REJECTED_EXTRA = ["原行号", "错误规则", "错误说明"]
# The police extract's file also says, per row, which family mode the import
# applied (what the rest of the household did: sources.police.family).
FAMILY_COLUMN = "户处理方式"
FAMILY_TEXT: dict[str, str] = {
    ImportJob.FamilyMode.MEMBERS: "载入有效成员：同户其他有效行已导入",
    ImportJob.FamilyMode.HOUSEHOLD: "整户暂缓：同户各行均未导入",
}


def _own_columns(header: list[str]) -> int:
    """How many of the header's columns are the file's own (a rejected-rows
    file imported again: its added columns are replaced)."""
    width = len(header)
    if header[-len(REJECTED_EXTRA) :] == REJECTED_EXTRA:
        width -= len(REJECTED_EXTRA)
        if width and header[width - 1] == FAMILY_COLUMN:
            width -= 1
    return width


def write_rejected(job: ImportJob, path: Path, rejected: dict[int, tuple[str, str]], directory: Path) -> Path:
    """The rejected rows as the file had them, plus (police) the family mode
    applied, the rule ids and messages: the clerk corrects them and imports
    this file again (the added columns are ignored)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    out = directory / f"{Path(job.file_name).stem}.rejected-{job.pk}.csv"
    header = read_header(path, job.file_format, job.encoding)
    width = _own_columns(header)
    header = header[:width]
    family = [FAMILY_TEXT[job.family_mode]] if job.kind == "police" else []
    out.touch(mode=0o600)  # plaintext ID numbers: readable by the service account only
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = spreadsheet.csv_writer(fh)
        writer.writerow([*header, *([FAMILY_COLUMN] if family else []), *REJECTED_EXTRA])
        seen = set()
        for line, cells in original_lines(path, job.file_format, job.encoding, set(rejected)):
            rules, reasons = rejected[line]
            # A short row (P02) is padded: the extra columns stay under their headers.
            writer.writerow([*(cells + [""] * width)[:width], *family, line, rules, reasons])
            seen.add(line)
        for line in sorted(set(rejected) - seen):  # lines the file no longer has (truncated since)
            rules, reasons = rejected[line]
            writer.writerow([""] * len(header) + [*family, line, rules, reasons])
    return out
