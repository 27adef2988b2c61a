"""The police change file's header set."""

from pims.integration.pipeline.columns import Column

COLUMNS = [
    Column("kind", "变动类型", True, ("变动种类",)),
    Column("date", "变动日期", True),
    Column("citizen_id", "公民身份号码", True, ("身份证号", "身份证号码"), text_only=True),
    Column("name", "姓名", True),
    Column("sex", "性别", False),
    Column("birth_date", "出生日期", False),
    Column("number", "户号", False, text_only=True),
    Column("place", "迁自/迁往地址", False, ("迁自迁往地址", "迁往地址", "迁自地址")),
    Column(
        "place_code", "迁自/迁往区划代码", False, ("迁自迁往区划代码", "迁往区划代码", "迁自区划代码"), text_only=True
    ),
    Column("reason", "原因", False, ("变动原因",)),
]
BY_KEY = {c.key: c for c in COLUMNS}
