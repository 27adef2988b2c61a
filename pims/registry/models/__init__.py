from .checkrun import CheckHit, CheckResult, CheckRun
from .family import Birth, Contraception, Marriage, Pregnancy
from .household import FormState, Household, ReviewComment
from .person import Person, PersonStatus, ResidenceStatus
from .sampling import SampleDraw, SampleItem, VillageBaseline
from .volume import Volume

__all__ = [
    "Birth",
    "CheckHit",
    "CheckResult",
    "CheckRun",
    "Contraception",
    "FormState",
    "Household",
    "Marriage",
    "Person",
    "PersonStatus",
    "Pregnancy",
    "ResidenceStatus",
    "ReviewComment",
    "SampleDraw",
    "SampleItem",
    "VillageBaseline",
    "Volume",
]
