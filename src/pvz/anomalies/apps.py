from django.apps import AppConfig


class AnomaliesConfig(AppConfig):
    name = "pvz.anomalies"
    label = "anomalies"

    def ready(self) -> None:
        # The counter runs the rules through its hooks, so that it imports nothing of anomalies.
        from pvz.anomalies.services import anomaly_check_after_issue, anomaly_check_after_sms_verification
        from pvz.counter import hooks

        hooks.on_finish("anomaly_rules", lambda session: anomaly_check_after_issue(session=session))
        hooks.on_sms_verification(
            "anomaly_rules", lambda session: anomaly_check_after_sms_verification(session=session)
        )
