"""gunicorn settings for deploy/systemd/pims.service (docs/operator/install.md §5).

The access log has no query strings (a search by ID number would put the
number there) and carries the request id the application sends back in
X-Request-ID, so a line of nginx's log, of this log and of the application's
JSON log can be matched.
"""

import multiprocessing
import os

bind = os.environ.get("PIMS_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("PIMS_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
# Long requests (a PDF report, a large export) end at 120 s; nginx's
# proxy_read_timeout (deploy/nginx/pims.conf) is a little longer, so the
# client sees gunicorn's answer rather than nginx's 504.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory); jitter keeps them from restarting together.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"time":"%(t)s","level":"INFO","logger":"gunicorn.access","request_id":"%({x-request-id}o)s",'
    '"client":"%({x-real-ip}i)s","method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":"%(B)s","seconds":%(L)s}'
)
