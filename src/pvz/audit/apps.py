from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pvz.audit"
    label = "audit"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from pvz.audit import receivers

        user_logged_in.connect(receivers.on_login, dispatch_uid="pvz.audit.login")
        user_logged_out.connect(receivers.on_logout, dispatch_uid="pvz.audit.logout")
        user_login_failed.connect(receivers.on_login_failed, dispatch_uid="pvz.audit.login_failed")
