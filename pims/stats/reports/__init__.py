"""The report catalogue: key → definition, in the order of the menu."""

from .base import ReportDef
from .births import BirthMonitoringReport, BirthsReport
from .change import ChangeReport
from .documents import DocumentsReport
from .flow import FlowReport
from .national import NationalContraceptionReport, NationalPopulationReport
from .population import PopulationReport
from .progress import BaselineReport, ProgressReport
from .quality import QualityReport
from .women import WomenReport

REPORTS: dict[str, ReportDef] = {
    r.key: r
    for r in (
        BirthMonitoringReport(),
        PopulationReport(),
        ChangeReport(),
        BirthsReport(),
        WomenReport(),
        FlowReport(),
        BaselineReport(),
        ProgressReport(),
        QualityReport(),
        NationalPopulationReport(),
        NationalContraceptionReport(),
        DocumentsReport(),
    )
}


def get_report(key: str) -> ReportDef | None:
    return REPORTS.get(key)
