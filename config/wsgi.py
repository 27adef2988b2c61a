import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Refuse to serve when the keys in the settings cannot read or search the
# data (pims.ops.keys): better no start, with the reason in the log, than
# 500s on "reveal" and searches that silently find nothing.
from pims.ops.startup import verify_startup  # noqa: E402  (after Django is set up)

verify_startup()
