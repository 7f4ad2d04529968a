import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
application = get_wsgi_application()

from motcua.core import heap  # noqa: E402 - needs Django set up (above)

heap.settle()
