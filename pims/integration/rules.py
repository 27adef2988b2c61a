"""Rules only a file import can break, in the one catalogue (category
"import"): the data items themselves are judged by the form's input rules
(I01–I26, H01–H06) and the register rules (R01–R48)."""

from pims.registry.checks.base import Rule, Severity, register

E = Severity.ERROR

IMPORT_RULES = [
    Rule(
        "P01",
        "文件编码",
        E,
        "",
        "第 {row} 行：无法按 {encoding} 编码读取，请检查文件编码（应为 UTF-8 或 GB18030）",
        category="import",
    ),
    Rule(
        "P02",
        "列数",
        E,
        "",
        "第 {row} 行：有 {found} 列，表头有 {expected} 列（文件可能被截断或分隔符有误）",
        category="import",
    ),
    Rule("P03", "CSV 格式", E, "", "第 {row} 行：CSV 格式错误——{reason}", category="import"),
    Rule(
        "P04",
        "村(居)委会代码必填",
        E,
        "village_code",
        "第 {row} 行：没有村(居)委会代码，且导入时未指定默认村",
        category="import",
    ),
    Rule("P05", "关联人员身份号码", E, "spouse_id", "第 {row} 行：{label}“{value}”无效——{reason}", category="import"),
    Rule(
        "P06",
        "文件内身份号码重复",
        E,
        "citizen_id",
        "第 {row} 行：公民身份号码在文件中出现多次（第 {lines} 行），请核实",
        category="import",
    ),
    Rule(
        "P07",
        "户采集表未审核",
        E,
        "number",
        "第 {row} 行：{number} 号户已存在，但其采集表尚未审核通过，不能通过导入增加成员",
        category="import",
    ),
    Rule(
        "P08",
        "同户成员有错误",
        E,
        "",
        "第 {row} 行：同户（{number} 号户）其他成员未通过逻辑审核，整户未导入：{reasons}",
        category="import",
    ),
    Rule("P09", "超出辖区", E, "village_code", "第 {row} 行：村(居)委会代码 {value} 不在您的辖区内", category="import"),
    Rule(
        "P10",
        "与已登记信息不一致",
        E,
        "citizen_id",
        "第 {row} 行：此人已登记在本户，但{items}与登记不同；登记后的变化请通过更正事件处理",
        category="import",
    ),
    Rule(
        "P11",
        "号码列为数字格式",
        E,
        "",
        "第 {row} 行：单元格 {cells} 是数字格式，Excel 只保留 15 位有效数字，号码可能已被改变，不能导入；{how}",
        category="import",
    ),
    Rule(
        "P12",
        "号码被 Excel 转成科学计数法",
        E,
        "",
        "第 {row} 行：单元格 {cells} 是 Excel 把号码当作数字保存后的科学计数法，原号码已丢失，不能导入；{how}，再另存为 CSV",
        category="import",
    ),
    Rule(
        "P13",
        "控制字符",
        E,
        "",
        "第 {row} 行：含有空字节或其他控制字符（{char}），文件可能已损坏或编码有误，该行不能导入",
        category="import",
    ),
    Rule(
        "P14",
        "整户暂缓",
        E,
        "",
        "第 {row} 行：同户（{number} 号户）第 {lines} 行被退回，本次导入选择“整户暂缓”，本户各行均未导入；改正退回行后将退回行文件整体重新导入",
        category="import",
    ),
]

for _rule in IMPORT_RULES:
    register(_rule)
