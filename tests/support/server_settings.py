"""The portal's settings for a real server a test starts as a subprocess: the same in every
respect but the password hasher, which is the suite's cheap one (tests/conftest.py), so the
accounts a test makes can sign in there and a sign-in's time is not a second of PBKDF2."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
