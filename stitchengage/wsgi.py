"""WSGI entry point, used by ``runserver``, gunicorn and by Zappa on AWS Lambda."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")

application = get_wsgi_application()

# What start-up loaded (Django, the apps, numpy, ...: ~230,000 objects) lives as
# long as the process. Out of the collector's generations, a full collection no
# longer walks it on every request that triggers one (tens of ms under load,
# with every thread of the worker held), as Python's gc.freeze() docs advise.
gc.collect()
gc.freeze()
