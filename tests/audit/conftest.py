from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
