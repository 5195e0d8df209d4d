from tests.api.conftest import signed_in  # noqa: F401 -- the API tests' sign-in fixture
from tests.inbound.conftest import acceptance, delivery  # noqa: F401 -- an acceptance under way
