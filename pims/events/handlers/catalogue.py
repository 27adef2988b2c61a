"""The event rules of the logic-check catalogue (pims.registry.checks).

Every refusal an event handler gives has an id here (E…), a title, the field
it points at and one message; handlers say it with `refuse(id, …)`, which the
engine prefixes with the event (its number, type and subject). The limits
the register and the events share — the legal marriage age (R01/R02), the
mother's age at a birth (R08), parents older than their children (R07) — are
the register's own rules (pims.registry.checks.limits), not copies here.

`manage.py list_rules` and docs/logic-checks.md list them with the others.
"""

from pims.params.policy import CHILDBEARING_AGE_MAX, CHILDBEARING_AGE_MIN
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
# A new household's number taken in the village: H04, the form's own rule.
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

# --- 迁入、迁出、县内迁移、注销 --------------------------------------------------------------
_event_rule("E42", "已死亡人员不能迁入", "person", "{person}已死亡，不能迁入")
_event_rule(
    "E43", "县内户籍不能再迁入", "person", "{person}的户籍已在本县登记，不能再迁入（规则：县内迁移请登记为机械变动）"
)
_event_rule("E44", "迁入须登记完整的个人信息", "name", "新迁入人员缺少：{missing}（规则：迁入须登记完整的个人信息）")
_event_rule(
    "E51", "只能迁出本地户籍人员", "person", "{person}的户籍不在本地，不能登记迁出（规则：只能迁出在本地户籍中的人员）"
)
_event_rule(
    "E61", "只能迁移在册人员", "person", "{person}没有在册的户籍登记，不能登记县内迁移（规则：只能迁移在册人员）"
)
_event_rule("E62", "迁入户须不同于现户", "target_household_id", "{person}已在迁入户中（规则：迁入户须不同于现户）")
_event_rule(
    "E71",
    "只能注销本地户籍人员",
    "person",
    "{person}没有在册的户籍登记，不能注销（规则：只能注销在本地户籍中的人员）",
)

# --- 怀孕、妊娠结局、避孕节育 --------------------------------------------------------------
_event_rule("E101", "只能登记给女性", "person", "{person}的性别为男（规则：此变动只能登记给女性）")
register(
    Rule(
        "E102",
        "育龄妇女",
        E,
        "effective_date",
        "{person}当时 {age} 岁，不在育龄（{low}–{high} 岁）（规则：育龄妇女）",
        category="event",
        params=(CHILDBEARING_AGE_MIN, CHILDBEARING_AGE_MAX),
    )
)
_event_rule("E103", "须先登记妊娠结局", "person", "{person}已有 {start} 起的怀孕记录尚未结束（规则：须先登记妊娠结局）")
_event_rule("E104", "活产登记出生事件", "outcome", "妊娠结局为活产时请登记出生事件（出生事件会同时结束怀孕记录）")
_event_rule("E105", "须登记已发生的结局", "outcome", "妊娠结局“妊娠中”不是结局（规则：须登记已发生的结局）")
_event_rule("E106", "须先登记怀孕", "person", "{person}没有尚未结束的怀孕记录（规则：须先登记怀孕）")
_event_rule("E107", "结局不早于怀孕", "effective_date", "结局日期 {day} 早于怀孕日期 {start}")
_event_rule("E111", "“未避孕”不是措施", "method", "节育措施“未避孕”不是一种措施（规则：停止避孕请登记避孕终止）")
_event_rule(
    "E112",
    "更换措施请登记避孕变更",
    "method",
    "{person}已有 {start} 起的节育措施（代码 {method}）（规则：更换措施请登记避孕变更）",
)
_event_rule("E113", "变更须有现有措施", "person", "{person}没有正在使用的节育措施（规则：开始避孕请登记避孕开始）")
_event_rule(
    "E114", "变更须换用另一种措施", "method", "新措施与现有措施相同（代码 {method}）（规则：变更须换用另一种措施）"
)
_event_rule("E115", "变更不早于措施开始", "effective_date", "变更日期 {day} 早于现有措施的开始日期 {start}")
_event_rule("E116", "只能终止现有措施", "person", "{person}没有正在使用的节育措施（规则：只能终止现有措施）")
_event_rule("E117", "终止不早于措施开始", "effective_date", "终止日期 {day} 早于措施的开始日期 {start}")

# --- 流入、流出 --------------------------------------------------------------------------
_event_rule("E121", "流入须来自外地", "person", "{person}已在本地居住（规则：流入须来自外地）")
_event_rule("E122", "流入须登记完整的个人信息", "name", "新流入人员缺少：{missing}（规则：流入须登记完整的个人信息）")
_event_rule(
    "E123", "流动人员须登记在所住的户", "household", "必须选择现有的居住户（规则：流动人员须登记在所住的户或集体户）"
)
_event_rule(
    "E124", "只对本地居住人员登记流出", "person", "{person}当前不在本地居住（规则：只能对在本地居住的人员登记流出）"
)
_event_rule(
    "E125", "流出须离开现居住地", "destination_code", "流入地与{person}现居住地相同（规则：流出须离开现居住地）"
)

# --- 分户、合户 --------------------------------------------------------------------------
# A new household's number: H04 (户编号村内唯一), the form's own rule.
_event_rule("E131", "只能分出/合并本户成员", "members", "{name}不是该户的在册成员（规则：只能分出/合并本户成员）")
_event_rule("E132", "分户至少分出一人", "members", "没有选择成员（规则：分户至少分出一人）")
_event_rule("E133", "只能对现有户分户", "household", "原户不存在或已撤销（规则：只能对现有户分户）")
_event_rule(
    "E134", "分户后原户须保留成员", "members", "原户的全部成员都被分出，原户将没有成员（规则：分户后原户须保留成员）"
)
_event_rule("E135", "新户须有户主", "new_head_id", "新户户主须是分出的成员之一（规则：新户须有户主）")
_event_rule("E137", "只能合并现有户", "household", "{what}不存在或已撤销（规则：只能合并现有户）")
_event_rule("E138", "合户须为两个不同的户", "target_household_id", "被合并户与并入户相同（规则：合户须为两个不同的户）")
_event_rule("E139", "同村合户", "target_household_id", "两户不在同一村（规则：跨村合户请登记县内迁移）")
_event_rule("E140", "合户须并入全部成员", "members", "被合并户的成员{members}未列出（规则：合户须并入全部成员）")

# --- 撤销 --------------------------------------------------------------------------------
_event_rule("E181", "撤销须指定事件", "supersedes", "{target}为必填项")
_event_rule("E182", "撤销须指向已审核的事件", "supersedes", "{target}不存在（规则：撤销须指向已审核的事件）")
_event_rule(
    "E183", "只能撤销已审核的事件", "supersedes", "{what}尚未审核通过，不能撤销（规则：未审核的事件请在变更单中撤回）"
)
_event_rule(
    "E184",
    "可撤销的变动",
    "supersedes",
    "{what}不能撤销（规则：可撤销的变动为{kinds}；其他登记错误请用更正事件）",
)
_event_rule("E185", "一个事件只能撤销一次", "supersedes", "{what}已{by}撤销（规则：一个事件只能撤销一次）")
_event_rule("E186", "撤销须有当事人", "supersedes", "{what}没有当事人，不能撤销")
_event_rule(
    "E187",
    "撤销前先撤销之后的事件",
    "supersedes",
    "{what}之后已有依赖它的事件：{later}（规则：撤销前须先撤销或更正之后的事件）",
)
_event_rule(
    "E188",
    "撤销前先撤销之后的变动",
    "supersedes",
    "{what}开始的{kind}时段已被后续变动结束（规则：撤销前须先撤销之后的变动）",
)
_event_rule(
    "E189",
    "撤销不能造成重叠的时段",
    "supersedes",
    "{person}已有{kind}时段（{region}，自 {start}）（规则：撤销不能造成重叠的时段）",
)
_event_rule(
    "E190", "撤销死亡须能恢复原婚姻", "supersedes", "配偶{person}已有新的婚姻记录（规则：撤销死亡须能恢复原婚姻）"
)
_event_rule(
    "E191",
    "撤销前先处理之后的分户或合户",
    "supersedes",
    "{person}原所在户此后已有{changed}（规则：撤销前须先处理之后的分户或合户）",
)
_event_rule("E192", "只能回到现有户", "supersedes", "{person}原所在户已撤销（规则：只能回到现有户）")
_event_rule(
    "E193",
    "撤销不改变之后确定的户主",
    "relationship",
    "{head}已成为户主，必须填写“恢复后与户主关系”（规则：撤销不改变之后确定的户主）",
)

# --- the event form's input (pims.events.forms) ------------------------------------------
# The citizen ID against the typed sex and birth date: I06/I07, the household
# form's own input rules.
_event_rule("E301", "变动类型", "event_type", "变动类型“{event_type}”不存在或不能通过变更单登记")
_event_rule("E302", "发生日期格式", "effective_date", "发生日期“{value}”不是有效日期（格式 YYYY-MM-DD）")
_event_rule("E303", "辖区内的人员或户", "person", "{label}：未选择或不在您的辖区内")
_event_rule("E304", "本区划人员", "person", "{person}不属于本变更单的区划（规则：变更单只登记本区划人员的变动）")
_event_rule(
    "E305",
    "更正或撤销指向本区划的事件",
    "supersedes",
    "所指向的事件 {value} 不存在或不属于本区划（规则：更正或撤销只能指向本区划的事件）",
)
_event_rule("E306", "关系人身份号码校验", "related_citizen_id", "{label}的公民身份号码无效——{reason}")
_event_rule(
    "E307",
    "关系人在册",
    "related_citizen_id",
    "{label}的公民身份号码 {masked} 未在册（规则：婚姻双方须为在册人员）",
)
_event_rule("E308", "关系人必选", "related_person", "{label}：必须选择（或填写其公民身份号码）")
_event_rule("E309", "至少选择一名成员", "members", "{label}：至少选择一人")
_event_rule("E310", "必填项", "", "{label}为必填项")
_event_rule("E311", "日期格式", "", "{label}“{value}”不是有效日期或晚于今天（格式 YYYY-MM-DD）")
_event_rule("E312", "代码在代码表中", "", "{label}代码“{value}”不在代码表中")
_event_rule("E313", "区划代码为 12 位", "", "{label}“{value}”不是 12 位区划代码")
_event_rule("E314", "身份号码校验", "citizen_id", "{label}无效——{reason}")
_event_rule("E315", "辖区内的记录", "", "{label}：不存在或不在您的辖区内")

# --- births before the collection (issue 15.7) -----------------------------------------
_event_rule(
    "E194",
    "采集以前出生须选择处理方式",
    "effective_date",
    "出生日期 {day} 早于本户的采集基线日期 {baseline}：婴儿在入户采集时已经出生，应当登记在采集表中，"
    "不是采集以后的出生（规则：采集以前出生的应补录到采集表）。请选择“补录到采集表”（按采集基线计入，"
    "不计为本期出生），或核实后勾选“已核实：采集以前出生，仍按出生登记”",
)
_event_rule(
    "E195",
    "采集以后出生不能补录到采集表",
    "add_to_collection",
    "出生日期 {day} 不早于本户的采集基线日期 {baseline}，不能补录到采集表，应按出生登记"
    "（规则：只有采集以前出生的才能补录）",
)
_event_rule(
    "E196",
    "补录与仍按出生只能选择一项",
    "add_to_collection",
    "“补录到采集表”和“仍按出生登记”只能选择一项（规则：一次出生只按一种方式计入）",
)
