from tests.accounts.sms import texts  # noqa: F401 - the fixture, for every test here
