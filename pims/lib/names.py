"""Chinese names as pinyin, for search: full pinyin and initials.

pypinyin (0.55) has no surname mode — the request is open upstream
(mozillazg/python-pinyin#120, #297) — and reads a surname like any other
character: 曾 as "ceng", 单 as "dan", 仇 as "chou", 区 as "qu". A clerk who
types `zs` for 曾三 would not find him. So the surname is read here from a
table first (compound surnames before single ones: 尉迟 is yuchi, while 尉 on
its own is wei), and only the given name goes through pypinyin, which also
keeps its phrase rules from reaching across the surname.

Stored forms are lower-case ASCII without separators: 张三 → ("zhangsan",
"zs"); ü is written "v" (吕 → "lv"), as pinyin keyboards type it.
"""

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

# Column widths of Person.name_pinyin / name_initials.
PINYIN_MAX = 120
INITIALS_MAX = 20

# Two-character surnames (复姓) with their readings. 单于 is left out on
# purpose: as a surname it is vanishingly rare, and 单 + a given name starting
# with 于 (单于洋) is far more likely, so 单 takes its single-surname reading.
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "欧阳": ("ou", "yang"),
    "上官": ("shang", "guan"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "尉迟": ("yu", "chi"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "长孙": ("zhang", "sun"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "夏侯": ("xia", "hou"),
    "轩辕": ("xuan", "yuan"),
    "令狐": ("ling", "hu"),
    "钟离": ("zhong", "li"),
    "独孤": ("du", "gu"),
    "南宫": ("nan", "gong"),
    "万俟": ("mo", "qi"),
    "闻人": ("wen", "ren"),
    "赫连": ("he", "lian"),
    "澹台": ("tan", "tai"),
    "公冶": ("gong", "ye"),
    "宗政": ("zong", "zheng"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "太叔": ("tai", "shu"),
    "申屠": ("shen", "tu"),
    "仲孙": ("zhong", "sun"),
    "鲜于": ("xian", "yu"),
    "闾丘": ("lv", "qiu"),
    "亓官": ("qi", "guan"),
    "司寇": ("si", "kou"),
    "子车": ("zi", "ju"),
    "颛孙": ("zhuan", "sun"),
    "端木": ("duan", "mu"),
    "巫马": ("wu", "ma"),
    "公西": ("gong", "xi"),
    "漆雕": ("qi", "diao"),
    "乐正": ("yue", "zheng"),
    "壤驷": ("rang", "si"),
    "公良": ("gong", "liang"),
    "拓跋": ("tuo", "ba"),
    "夹谷": ("jia", "gu"),
    "宰父": ("zai", "fu"),
    "谷梁": ("gu", "liang"),
    "段干": ("duan", "gan"),
    "百里": ("bai", "li"),
    "东郭": ("dong", "guo"),
    "呼延": ("hu", "yan"),
    "羊舌": ("yang", "she"),
    "梁丘": ("liang", "qiu"),
    "左丘": ("zuo", "qiu"),
    "西门": ("xi", "men"),
    "第五": ("di", "wu"),
}

# Single surnames whose surname reading differs from pypinyin's default
# reading of the character (or where the default is unstable across
# versions). Only the first character of a name is read from this table.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "覃": "qin",
    "尉": "wei",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "重": "chong",
    "秘": "bi",
    "冼": "xian",
    "华": "hua",
    "过": "guo",
    "纪": "ji",
    "燕": "yan",
    "繁": "po",
    "石": "shi",
    "瞿": "qu",
    "折": "she",
    "那": "na",
    "佴": "nai",
    "粘": "nian",
    "藏": "zang",
    "都": "du",
    "六": "lu",
    "陆": "lu",
    "薄": "bo",
    "贾": "jia",
    "居": "ju",
    "盛": "sheng",
    "和": "he",
    "柏": "bai",
    "牟": "mou",
    "乜": "nie",
    "阚": "kan",
    "叶": "ye",
    "强": "qiang",
    "沈": "shen",
    "宿": "su",
    "卜": "bu",
    "员": "yun",
    "贠": "yun",
    "句": "gou",
    "隗": "wei",
    "召": "shao",
    "能": "nai",
    "谌": "chen",
    "褚": "chu",
    "莘": "shen",
    "祭": "zhai",
    "蕃": "pi",
    "洗": "xian",
    "长": "chang",
    "万": "wan",
    "车": "che",
}

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def _clean(name: str) -> str:
    return unicodedata.normalize("NFKC", name or "").strip()


def is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"


def has_han(text: str) -> bool:
    return any(is_han(ch) for ch in text or "")


def split_surname(name: str) -> tuple[str, tuple[str, ...] | None]:
    """(surname, its readings) when the name starts with a surname of the
    tables — compound surnames first — else ("", None)."""
    name = _clean(name)
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], COMPOUND_SURNAMES[name[:2]]
    if name[:1] in SURNAME_READINGS:
        return name[:1], (SURNAME_READINGS[name[:1]],)
    return "", None


def syllables(name: str) -> list[str]:
    """One lower-case ASCII token per Han character (a run of other letters
    or digits is one token; punctuation such as the "·" of transliterated
    names is dropped)."""
    name = _clean(name)
    if not name:
        return []
    surname, readings = split_surname(name)
    if readings is None:
        # The first character alone, so that phrase rules for the given name
        # do not read the surname as part of a word.
        surname, readings = name[:1], _reading(name[:1])
    tokens = readings + _reading(name[len(surname) :])
    out = []
    for token in tokens:
        token = _NON_ALNUM.sub("", unicodedata.normalize("NFKC", token).lower().replace("ü", "v"))
        if token:
            out.append(token)
    return out


@lru_cache(maxsize=100_000)
def _reading(text: str) -> tuple[str, ...]:
    """pypinyin's reading of a surname or a given name. Cached apart from
    whole names: given names repeat far more than full names do (a generated
    county of 50,000 has ~38,000 distinct names but ~8,000 given names), and
    pypinyin costs tens of microseconds per call — a third of an import's
    per-row work before this cache."""
    return tuple(lazy_pinyin(text))


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) as stored on a person, cut to the column
    widths: 曾三 → ("zengsan", "zs"). Cached: names repeat a great deal."""
    tokens = syllables(name)
    return "".join(tokens)[:PINYIN_MAX], "".join(t[0] for t in tokens)[:INITIALS_MAX]


def pinyin_query(text: str) -> str:
    """Typed pinyin as stored: lower case, no spaces or apostrophes, ü as v
    ("Zhang San", "xi'an", "lü" → "zhangsan", "xian", "lv")."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ü", "v").replace("u:", "v")
    return _NON_ALNUM.sub("", text)
