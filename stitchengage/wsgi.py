"""WSGI entry point, used by ``runserver`` and by Zappa on AWS Lambda."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")

application = get_wsgi_application()
