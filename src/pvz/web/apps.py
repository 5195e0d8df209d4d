from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pvz.web"
    label = "web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from pvz.web.middleware import session_stamp_refreshed

        # Signing in saves a new session: it counts as the first refresh of its idle timeout.
        user_logged_in.connect(session_stamp_refreshed, dispatch_uid="pvz.web.session_stamp_refreshed")
