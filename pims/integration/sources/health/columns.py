"""The health department's 出生医学证明 file's header set."""

from pims.integration.pipeline.columns import Column

PARENTS = {"mother": "母亲", "father": "父亲"}

COLUMNS = [
    Column("doc_number", "出生医学证明编号", True, ("证明编号", "出生证编号"), text_only=True),
    Column("child_name", "新生儿姓名", True, ("婴儿姓名",)),
    Column("child_sex", "性别", True, ("新生儿性别",)),
    Column("born_at", "出生日期时间", True, ("出生日期", "出生时间")),
    Column("place", "出生地点", False),
    Column("weight", "出生体重", False, ("体重",)),
    Column("weeks", "孕周", False),
    Column("mother_name", "母亲姓名", True),
    Column("mother_citizen_id", "母亲公民身份号码", True, ("母亲身份证号",), text_only=True),
    Column("father_name", "父亲姓名", False),
    Column("father_citizen_id", "父亲公民身份号码", False, ("父亲身份证号",), text_only=True),
    Column("issued_on", "签发日期", False),
    Column("authority", "签发机构", False, ("签发单位",)),
]
BY_KEY = {c.key: c for c in COLUMNS}
