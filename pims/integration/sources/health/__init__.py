"""Health (卫健) 出生医学证明 files: each certificate's mother (and father)
matched to the register and the birth filed as a 出生 event of the
health change report of the mother's township, on the shared record
pipeline (pims.integration.pipeline.records). Stages: ``columns``,
``judge``, ``run``."""
