"""The portal's settings plus what only the benchmarks load: the bare list the list
benchmarks compare against (bench.urls) and the bench app's commands (generate_volunteers,
the synthetic city data of bench.synthetic).

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python manage.py generate_volunteers ...
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
