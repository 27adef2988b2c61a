"""The bundles' refusals (kinds: pims.lib.errors). Every check that refuses a
bundle names itself and, where there is one, the row; tests assert these
constants, not the wording."""

from django.utils.translation import gettext_lazy as _

# --- keys and set-up (Unavailable / Invalid) ----------------------------------------------
NO_KEYS = _("本系统尚未生成数据包密钥：先运行 manage.py bundle_keys init")
KEYS_EXIST = _("本系统已有数据包密钥；更换请用 manage.py bundle_keys rotate")
PEER_FILE_BAD = _("公钥文件 %(name)s 无法读取或格式不对：%(detail)s")
NO_PROVINCE = _("尚未登记省级系统的公钥：先运行 manage.py bundle_keys trust 省级公钥文件")
NOT_A_COUNTY = _("数据包只能由县级系统导出（PIMS_COUNTY_CODE 必须是县级区划代码）")
NOT_PROVINCE_TIER = _("只有省级系统（PIMS_TIER=province）可以导入数据包")
NOTHING_TO_EXPORT = _("没有新的已确认月份或交换信息可以上报")
NOT_COUNTY_TIER = _("省级转发的数据包只能由县级系统导入")
NO_COUNTY_KEY = _("尚未登记县 %(county)s 的公钥：先运行 manage.py bundle_keys trust 该县公钥文件")
NOTHING_TO_RELAY = _("没有发往县 %(county)s 的交换信息需要转发")

# --- a bundle refused whole (Invalid: 422): check, and the row where there is one --------
FILE_BROKEN = _("数据包文件损坏或不完整：%(detail)s")
SCHEMA_FUTURE = _("数据包格式版本 %(version)s 比本系统新（本系统支持 %(supported)s），请先升级本系统")
UNKNOWN_SENDER = _("数据包的签名密钥 %(key)s 未登记，或不属于县 %(county)s")
BAD_SIGNATURE = _("数据包签名校验失败：文件被改动，或不是由登记的县级密钥签发")
PAYLOAD_CHECKSUM = _("数据包内容的校验和不符（%(part)s）：文件被改动或损坏")
TABLE_CHECKSUM = _("表 %(table)s 的行数或校验和与清单不符")
CANNOT_DECRYPT = _("无法解密数据包内容：不是发给本系统公钥的数据包")
OUTSIDE_COUNTY = _("表 %(table)s 第 %(row)s 行（%(uuid)s）的区划代码 %(region)s 不在县 %(county)s 内")
UUID_TAKEN = _("表 %(table)s 第 %(row)s 行的标识 %(uuid)s 已属于另一个县的记录")
MISSING_REFERENCE = _("表 %(table)s 第 %(row)s 行引用的 %(field)s（%(uuid)s）既不在数据包中也不在本系统中")
UNKNOWN_TABLE = _("数据包含有本系统不认识的表 %(table)s")

# --- sequence (Conflict: 409) ----------------------------------------------------------------
ACK_UNKNOWN = _("回执对应的数据包（县 %(county)s 第 %(sequence)s 号）不存在或内容不符")
