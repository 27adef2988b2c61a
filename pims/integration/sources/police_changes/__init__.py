"""Police change files (户口变动: 出生登记 / 迁入 / 迁出 / 死亡注销 / 其他注销 /
信息变更) on the shared record pipeline: the person matched by citizen ID;
迁出, 死亡注销 and 其他注销 of an exactly matched person become 迁出 / 死亡 /
注销 events of the police change report of the person's township; a
出生登记, 迁入 or 信息变更 (which need a household or new values typed on
the form) and every record that does not match exactly wait for a
reviewer. Stages: ``columns``, ``judge``, ``run``."""
