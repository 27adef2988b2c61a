"""Rules a 出生医学证明 file can break (category "import", in the one
catalogue); the birth itself is judged by the events engine's birth rules
(the mother's age, her being registered and active, …) when it is filed."""

from pims.registry.checks.base import Rule, Severity, register

E = Severity.ERROR

HEALTH_RULES = [
    Rule("N01", "证明编号必填", E, "doc_number", "第 {row} 行：没有出生医学证明编号", category="import"),
    Rule("N02", "出生日期", E, "born_at", "第 {row} 行：出生日期时间“{value}”不是有效日期", category="import"),
    Rule("N03", "出生日期晚于今天", E, "born_at", "第 {row} 行：出生日期 {value} 晚于今天", category="import"),
    Rule(
        "N04", "新生儿性别", E, "child_sex", "第 {row} 行：新生儿性别“{value}”无效（应为 男 或 女）", category="import"
    ),
    Rule("N05", "母亲姓名必填", E, "mother_name", "第 {row} 行：母亲姓名为空", category="import"),
    Rule(
        "N06", "父母身份号码", E, "mother_citizen_id", "第 {row} 行：{label}“{value}”无效——{reason}", category="import"
    ),
    Rule("N07", "母亲须为女性", E, "mother_citizen_id", "第 {row} 行：母亲公民身份号码表明为男性", category="import"),
    Rule("N08", "父亲须为男性", E, "father_citizen_id", "第 {row} 行：父亲公民身份号码表明为女性", category="import"),
    Rule("N09", "出生体重", E, "weight", "第 {row} 行：出生体重“{value}”无效（克，200–8000）", category="import"),
    Rule("N10", "孕周", E, "weeks", "第 {row} 行：孕周“{value}”无效（20–45）", category="import"),
    Rule(
        "N11",
        "文件内证明编号重复",
        E,
        "doc_number",
        "第 {row} 行：出生医学证明编号 {value} 在文件中出现多次（第 {lines} 行）",
        category="import",
    ),
    Rule(
        "N12",
        "无法确认母亲",
        E,
        "mother_citizen_id",
        "第 {row} 行：母亲身份号码无效或未提供，登记库中也没有姓名、出生日期相符的人员：{reason}",
        category="import",
    ),
    Rule("N13", "签发日期", E, "issued_on", "第 {row} 行：签发日期“{value}”无效或早于出生日期", category="import"),
]

for _rule in HEALTH_RULES:
    register(_rule)
