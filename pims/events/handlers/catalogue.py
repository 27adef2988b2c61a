"""The event rules of the logic-check catalogue (pims.registry.checks).

Every refusal an event handler gives has an id here (E…), a title, the field
it points at and one message; handlers say it with `refuse(id, …)`, which the
engine prefixes with the event (its number, type and subject). The limits
the register and the events share — the legal marriage age (R01/R02), the
mother's age at a birth (R08), parents older than their children (R07) — are
the register's own rules (pims.registry.checks.limits), not copies here.

`manage.py list_rules` and docs/logic-checks.md list them with the others.
"""

from pims.registry.checks.base import Finding, Rule, Severity, finding, register

E = Severity.ERROR


def _event_rule(rule_id: str, title: str, field: str, message: str) -> None:
    register(Rule(rule_id, title, E, field, message, category="event"))


def refuse(rule_id: str, **fmt) -> Finding:
    """The message of an event rule (or of a shared register rule)."""
    return finding(rule_id, **fmt)


# --- every event (engine, handlers.base) ----------------------------------------------
_event_rule("E01", "变动类型可登记", "event_type", "变动类型“{event_type}”不能通过变更单登记")
_event_rule("E02", "发生日期不晚于今天", "effective_date", "发生日期 {day} 晚于今天（规则：只能登记已发生的变动）")
_event_rule("E03", "发生日期不晚于报告日期", "effective_date", "发生日期 {day} 晚于报告日期 {report_date}")
_event_rule("E04", "当事人在册", "person", "{what}不存在（规则：变动须指向在册人员）")
_event_rule(
    "E05",
    "只对在册人员登记变动",
    "person",
    "{what}{person}人员状态为“{status}”，不能登记此变动（规则：只能对在册人员登记变动）",
)
_event_rule(
    "E06",
    "变动不早于出生",
    "effective_date",
    "{field} {day} 早于{person}的出生日期 {birth_date}（规则：变动不能早于出生）",
)
_event_rule(
    "E07",
    "登记簿不倒改",
    "effective_date",
    "{field} {day} 早于{person}上一次变动的日期 {last}（规则：变动不能早于该人上一次变动，登记簿不倒改）",
)
_event_rule(
    "E08",
    "户主离开须指定新户主",
    "new_head_id",
    "户主{person}离开本户后户内还有 {staying} 名成员，必须在“新户主”中指定其中一人（规则：户主死亡或迁出时须确定新户主）",
)
_event_rule(
    "E09", "新户主为本户成员", "new_head_id", "新户主{person}不是本户留下的在册成员（规则：新户主须为本户成员）"
)
_event_rule(
    "E10",
    "迁入已有户或新立户二选一",
    "target_household_id",
    "迁入户与新立户只能填写一个（规则：迁入已有户或新立户二选一）",
)
_event_rule("E11", "只能迁入现有户", "target_household_id", "迁入户 {household} 已撤销（规则：只能迁入现有户）")
_event_rule(
    "E12",
    "迁入须有落户地址",
    "target_household_id",
    "必须选择迁入户，或填写新立户的所在村、户编号和住址（规则：迁入须有落户地址）",
)
_event_rule("E13", "新立户所在村", "new_household_village", "新立户所在村“{code}”不是有效的村级区划代码")
_event_rule(
    "E14",
    "新立户户编号村内唯一",
    "new_household_number",
    "新立户户编号 {number} 在该村已被使用（规则：户编号村内唯一）",
)
_event_rule("E15", "新立户住址必填", "new_household_address", "新立户住址不能为空")
_event_rule(
    "E16",
    "同一人不能重复登记",
    "citizen_id",
    "公民身份号码 {masked} 已在册（规则：同一人不能重复登记，回迁请选择已在册人员）",
)
_event_rule("E17", "出生日期不晚于发生日期", "birth_date", "出生日期 {birth} 晚于发生日期 {day}")

# --- 出生 -------------------------------------------------------------------------------
_event_rule("E21", "出生须指向在册的母亲", "related_person", "母亲不存在（规则：出生须指向在册的母亲）")
_event_rule("E22", "出生只能登记给女性", "related_person", "母亲{person}的性别为男（规则：出生只能登记给女性）")
_event_rule("E23", "父亲须为男性", "father_id", "父亲{person}的性别为女（规则：父亲须为男性）")
_event_rule("E24", "出生须落户在现有户", "household", "落户户不存在或已撤销（规则：出生须落户在现有户）")

# --- 结婚、复婚/再婚、离婚 ---------------------------------------------------------------
_event_rule("E81", "婚姻双方在册", "related_person", "配偶不存在（规则：婚姻双方须为在册人员）")
_event_rule("E82", "婚姻双方一男一女", "related_person", "{a}与{b}性别相同（规则：婚姻双方须为一男一女）")
_event_rule(
    "E83",
    "已婚者不能再登记结婚",
    "person",
    "{person}的婚姻状况为已婚，不能再登记结婚（规则：已婚者须先登记离婚或丧偶）",
)
_event_rule("E84", "女方迁入的男方户", "move_wife", "男方所在户已撤销，女方不能迁入")
_event_rule("E85", "女方迁入须填与户主关系", "relationship", "女方迁入男方户时须填写“女方在男方户中与户主关系”")
_event_rule("E86", "再婚须至少一方有过婚姻", "person", "{a}与{b}均为未婚，应登记为结婚（规则：再婚须至少一方有过婚姻）")
_event_rule(
    "E91", "只能为现有婚姻登记离婚", "related_person", "{a}与{b}之间没有有效的婚姻记录（规则：只能为现有婚姻登记离婚）"
)
_event_rule(
    "E92", "离婚不早于结婚", "effective_date", "离婚日期 {day} 早于结婚日期 {married}（规则：离婚不能早于结婚）"
)

# --- 更正 -----------------------------------------------------------------------------
# Shared with the register: the citizen ID against sex (R28) and birth date
# (R29), unique in the register (R27); parents older than children (R07) and
# the mother's age (R08); the legal marriage age of a corrected spouse (R01/R02).
_event_rule(
    "E141",
    "可更正的项目",
    "field",
    "“{field}”不能通过更正事件修改（规则：人员状态和现在的户籍地、居住地须通过相应的变动事件变更）",
)
_event_rule(
    "E142", "更正关系须选择关系人", "after_person", "更正{name}时必须选择更正后的关系人（规则：人员关系须指向在册人员）"
)
_event_rule("E143", "更正后的值必填", "after", "更正后的{name}不能为空")
_event_rule("E144", "更正后的区划代码为 12 位", "after", "更正后的{name}“{after}”不是 12 位区划代码")
_event_rule("E145", "更正后的代码在代码表中", "after", "更正后的{name}代码“{after}”不在代码表中")
_event_rule("E146", "更正后的出生日期不晚于今天", "after", "更正后的出生日期 {after} 晚于今天")
_event_rule("E147", "更正后的出生日期格式", "after", "更正后的出生日期“{after}”不是有效日期（格式 YYYY-MM-DD）")
_event_rule("E148", "更正后的身份号码校验", "after", "更正后的公民身份号码无效——{reason}（规则：GB 11643 校验）")
_event_rule("E149", "更正前的身份号码校验", "before", "更正前的公民身份号码无效——{reason}")
_event_rule(
    "E150",
    "更正前的值与登记值一致",
    "before",
    "{person}的{name}登记值为“{current}”，与填写的更正前“{before}”不符（规则：更正前的值须与登记值一致）",
)
_event_rule(
    "E151",
    "出生不晚于在册登记",
    "after",
    "更正后的出生日期 {new} 晚于{person}在册登记的开始日期 {start}（规则：出生不能晚于在册登记）",
)
_event_rule(
    "E152", "性别与家庭记录一致", "after", "{person}有婚姻或生育记录，不能直接更正性别（规则：性别与家庭记录须一致）"
)
_event_rule(
    "E153",
    "不能更正为户主",
    "after",
    "{person}不是本户户主，不能把与户主关系更正为户主（规则：户主只能通过分户、合户或指定新户主变更）",
)
_event_rule(
    "E154",
    "户主不能更正为其他关系",
    "after",
    "{person}是本户户主，不能把与户主关系更正为其他关系（规则：户主只能通过指定新户主变更）",
)
_event_rule("E155", "更正须改变登记值", "after", "更正后的{name}“{after}”与登记值相同（规则：更正须改变登记值）")
_event_rule(
    "E156",
    "区划更正作用于当前时段",
    "field",
    "{person}没有在册的{kind}时段，无法更正{name}（规则：区划更正作用于当前时段）",
)
_event_rule(
    "E157", "更正后为现行村级区划", "after", "更正后的{name}“{after}”不是现行的村级区划（规则：人员只能登记在村/社区）"
)
_event_rule(
    "E158",
    "县内区划须现行",
    "after",
    "更正后的{name}“{after}”在本县区划中不存在（规则：县内区划须为现行的村级区划）",
)
_event_rule("E159", "更正后的关系人在册", "after_person", "更正后的关系人不存在（规则：{name}须为在册人员）")
_event_rule("E160", "关系人不能是本人", "after_person", "{name}不能是{person}本人")
_event_rule(
    "E161", "父母关系须有出生记录", "field", "{person}没有出生记录，无法更正{name}（规则：父母关系记录在出生记录中）"
)
_event_rule("E162", "父母性别", "after_person", "{name}{person}的性别不符（规则：母亲须为女性，父亲须为男性）")
_event_rule("E163", "父母不能为同一人", "after_person", "{person}已是该出生记录中的另一方父母")
_event_rule(
    "E164",
    "配偶更正作用于现存婚姻",
    "field",
    "{person}没有现存的婚姻记录，无法更正配偶（规则：配偶更正作用于现存婚姻）",
)
_event_rule("E165", "配偶须为在册人员", "after_person", "{person}人员状态为“{status}”（规则：配偶须为在册人员）")
_event_rule("E166", "一人同时只能有一段婚姻", "after_person", "{person}已有婚姻记录（规则：一人同时只能有一段婚姻）")
