"""The dated parameter table (政策参数): every policy value a rule reads —
legal marriage ages, the mother's age limits at a birth, childbearing ages,
the change-report due day — with its dates, source and verification status.

Read with `pims.params.selectors.param_value(key, on=day)` (or
`param_expression` inside a query); amend with
`pims.params.services.parameter_amend`. The seed is data/parameters.toml."""
