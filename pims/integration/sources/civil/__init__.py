"""Civil affairs (民政) 婚姻登记 files: 结婚 / 离婚 / 补领 / 撤销 records
matched to the register and filed as marriage and divorce events of the
civil-affairs change report (pims.events), on the shared pipeline
(pims.integration.pipeline). Stages: ``columns`` (read), ``judge``, ``run``
(match, file, review queue)."""
