"""Rules a civil-affairs marriage registration file can break (category
"import", in the one catalogue); the marriage itself is judged by the
events engine's marriage and divorce rules when it is filed."""

from pims.registry.checks.base import Rule, Severity, register

E = Severity.ERROR

CIVIL_RULES = [
    Rule(
        "M01",
        "业务类型",
        E,
        "kind",
        "第 {row} 行：业务类型“{value}”无效（应为 结婚、离婚、补领 或 撤销）",
        category="import",
    ),
    Rule("M02", "登记日期", E, "date", "第 {row} 行：登记日期“{value}”不是有效日期", category="import"),
    Rule("M03", "登记日期晚于今天", E, "date", "第 {row} 行：登记日期 {value} 晚于今天", category="import"),
    Rule("M04", "证件字号必填", E, "doc_number", "第 {row} 行：没有结婚证（离婚证）字号", category="import"),
    Rule("M05", "姓名必填", E, "name", "第 {row} 行：{label}为空", category="import"),
    Rule("M06", "身份号码", E, "citizen_id", "第 {row} 行：{label}“{value}”无效——{reason}", category="import"),
    Rule("M07", "性别", E, "sex", "第 {row} 行：{label}“{value}”无效或与身份号码不符", category="import"),
    Rule("M08", "出生日期", E, "birth_date", "第 {row} 行：{label}“{value}”无效或与身份号码不符", category="import"),
    Rule("M09", "男女双方", E, "sex", "第 {row} 行：{label}应为{expected}", category="import"),
    Rule("M10", "双方为同一人", E, "citizen_id", "第 {row} 行：男女双方的公民身份号码相同", category="import"),
    Rule(
        "M11",
        "文件内证件重复",
        E,
        "doc_number",
        "第 {row} 行：{kind}证件字号 {value} 在文件中出现多次（第 {lines} 行）",
        category="import",
    ),
    Rule(
        "M12",
        "无法确认人员",
        E,
        "citizen_id",
        "第 {row} 行：{label}的身份号码无效，登记库中也没有姓名、性别、出生日期相同的人员：{reason}",
        category="import",
    ),
]

for _rule in CIVIL_RULES:
    register(_rule)
