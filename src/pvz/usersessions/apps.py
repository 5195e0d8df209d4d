from django.apps import AppConfig


class UserSessionsConfig(AppConfig):
    name = "pvz.usersessions"
    label = "usersessions"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from pvz.usersessions.receivers import session_forgotten, session_started

        # Signing in ends the user's other sessions (single active session); signing out forgets this one.
        user_logged_in.connect(session_started, dispatch_uid="pvz.usersessions.session_started")
        user_logged_out.connect(session_forgotten, dispatch_uid="pvz.usersessions.session_forgotten")
