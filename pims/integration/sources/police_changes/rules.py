"""Rules a police change file can break (category "import", in the one
catalogue); the change itself is judged by the events engine's rules for
moves, deaths and cancellations when it is filed."""

from pims.registry.checks.base import Rule, Severity, register

E = Severity.ERROR

POLICE_CHANGE_RULES = [
    Rule(
        "G01",
        "变动类型",
        E,
        "kind",
        "第 {row} 行：变动类型“{value}”无效（应为 出生登记、迁入、迁出、死亡注销、其他注销 或 信息变更）",
        category="import",
    ),
    Rule("G02", "变动日期", E, "date", "第 {row} 行：变动日期“{value}”不是有效日期", category="import"),
    Rule("G03", "变动日期晚于今天", E, "date", "第 {row} 行：变动日期 {value} 晚于今天", category="import"),
    Rule("G04", "姓名必填", E, "name", "第 {row} 行：姓名为空", category="import"),
    Rule("G05", "身份号码", E, "citizen_id", "第 {row} 行：公民身份号码“{value}”无效——{reason}", category="import"),
    Rule("G06", "性别", E, "sex", "第 {row} 行：性别“{value}”无效或与身份号码不符", category="import"),
    Rule("G07", "出生日期", E, "birth_date", "第 {row} 行：出生日期“{value}”无效或与身份号码不符", category="import"),
    Rule(
        "G08",
        "文件内变动重复",
        E,
        "citizen_id",
        "第 {row} 行：同一人同一天的{kind}在文件中出现多次（第 {lines} 行）",
        category="import",
    ),
    Rule("G09", "注销原因必填", E, "reason", "第 {row} 行：其他注销须填写原因", category="import"),
]

for _rule in POLICE_CHANGE_RULES:
    register(_rule)
