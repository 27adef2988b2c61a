"""One package per departmental source on the shared pipeline (pims.integration.pipeline)."""
