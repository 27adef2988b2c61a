"""Test-wide fixtures live in pims.testing.fixtures (regions, personas) and
pims.testing.browser (Playwright + chromium); the environment for the test
settings is prepared by pims.testing.env (loaded with -p, see pyproject)."""

pytest_plugins = ["pims.testing.fixtures", "pims.testing.browser", "pims.testing.logscan"]
