"""Second factors of staff sign-in: e-mail codes, authenticator apps (TOTP) with backup codes, and the
owners' rule that every person working at their points must have one."""
