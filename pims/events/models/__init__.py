from .event import Event, EventType
from .report import ChangeReport, ChangeReportComment, ReportState
from .spell import Spell

__all__ = ["ChangeReport", "ChangeReportComment", "Event", "EventType", "ReportState", "Spell"]
