"""The civil-affairs marriage registration file's header set."""

from pims.integration.pipeline.columns import Column

PARTIES = {"husband": "男方", "wife": "女方"}
PARTY_ITEMS = [
    # (key suffix, header suffix, required, aliases (suffixes), identifier)
    ("name", "姓名", True, (), False),
    ("citizen_id", "公民身份号码", True, ("身份证号", "身份证号码", "公民身份证号码"), True),
    ("sex", "性别", False, (), False),
    ("birth_date", "出生日期", False, (), False),
    ("ethnicity", "民族", False, (), False),
    ("nationality", "国籍", False, (), False),
    ("address", "户籍地址", False, ("户籍地", "住址"), False),
]

COLUMNS = [
    Column("kind", "业务类型", True, ("登记类型", "业务种类")),
    Column("date", "登记日期", True, ("办理日期",)),
    Column("authority", "登记机关", False, ("办理机关",)),
    Column("doc_number", "结婚证字号", True, ("离婚证字号", "证件字号", "证字号"), text_only=True),
] + [
    Column(
        f"{role}_{key}",
        f"{label}{header}",
        required,
        tuple(f"{label}{a}" for a in aliases),
        text_only=identifier,
    )
    for role, label in PARTIES.items()
    for key, header, required, aliases, identifier in PARTY_ITEMS
]
BY_KEY = {c.key: c for c in COLUMNS}
