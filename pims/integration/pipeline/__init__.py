"""The intake pipeline shared by every departmental source.

Each source (pims.integration.sources.<name>) runs the same stages, each
committed in chunks together with its job's progress so that a killed run
resumes from its last commit:

- **read** — the file as rows of text cells, whatever its encoding or format
  (pims.integration.reader; column mapping in pims.integration.format);
- **judge** — each row against the rule catalogue, bad rows rejected with
  their rule and message, good rows staged (the source's ``judge`` module);
- **match** — every staged person against the register (the source's
  ``load`` module: the citizen ID first);
- **load** — accepted rows into the register, set-based
  (``pipeline.sql``: ``insert_select``, session tuning, rejections);
- **check** — the register rules once over what the import touched
  (``pipeline.check``), then the rejected-rows file
  (``pipeline.rejected_file``) and the job done.

``pipeline.job`` holds what every job shares: row states, the refusal,
the one-loader-per-job lock and where files are kept.
"""
