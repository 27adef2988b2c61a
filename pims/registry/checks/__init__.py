"""The logic-check catalogue (逻辑审核).

Every rule has an id, a severity and a Chinese message naming the field and
the rule. Two kinds share one catalogue:

- *input rules* (`input_rules`) judge raw values as typed (an ID's check
  digit, a code not in the code table, a malformed date) before anything is
  stored; forms, the API and importers all call `validate_household_input`;
- *register rules* (`register_rules`) are set-based queries over stored rows:
  the same query checks one household at entry (filtered to its id) and a
  whole village, township or county in batch (`runner`).
"""

from . import input_rules, register_rules  # noqa: F401  (fill the catalogue)
from .base import RULES, Rule, Severity, Violation, rule_by_id  # noqa: F401
