import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
application = get_asgi_application()

from motcua.core import heap  # noqa: E402 - needs Django set up (above)

heap.settle()
