"""人口信息管理系统 — population information management system."""

# The release. Shown in the page footer and by `manage.py version`, written
# into every backup's manifest (a restore refuses a backup of a newer release);
# CHANGELOG.md says what each release changed. pyproject.toml repeats it.
__version__ = "0.2.0"
