"""The portal's settings plus the bare list the order-list benchmark compares against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
