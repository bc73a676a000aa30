"""Schemathesis hooks for the signed-in fuzz run of `cargo xtask apifuzz`.

The run signs in once and fuzzes with that one session. `PATCH /api/v1/users/{id}` with a
`password` resets that user's password and ends all of their sessions. Schemathesis reuses ids it
has seen in responses (`GET /api/v1/auth/me` among them), so it soon aims that request at the
signed-in admin itself, and every request after it would be answered 401: the rest of the run
would silently test nothing but authentication. For that one target the password is dropped from
the body; every other field, and every other user, is still fuzzed.
"""

import os

import schemathesis

SIGNED_IN_USER_ID = os.environ.get("MONIHUB_APIFUZZ_USER_ID", "").lower()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if (
        SIGNED_IN_USER_ID
        and case.operation.method.upper() == "PATCH"
        and case.operation.path == "/api/v1/users/{id}"
        and str((case.path_parameters or {}).get("id", "")).lower() == SIGNED_IN_USER_ID
        and isinstance(case.body, dict)
    ):
        case.body.pop("password", None)
