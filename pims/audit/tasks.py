"""The audit chain check as a background job (the 审计日志 page's 验证审计链
button): the same walk as `manage.py audit_verify` — the keyed chain from the
latest checkpoint, the signed anchors outside the database, the append-only
triggers. Read-only, so running it again is harmless (resumable)."""

from __future__ import annotations

from .verify import trigger_problems, verify_database


def audit_verify_job(ctx) -> dict:
    ctx.progress(stage="verify", done=0, total=1)
    report = verify_database()
    triggers = trigger_problems()
    ctx.progress(stage="verify", done=1, total=1)
    return {
        "ok": report.ok and not triggers,
        "checked": report.checked,
        "first_seq": report.start_seq,
        "last_seq": report.last_seq,
        "anchors": report.anchors,
        "broken": str(report.broken) if report.broken else "",
        "triggers": triggers,
    }
