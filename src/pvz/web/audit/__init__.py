"""«Журнал»: the audit log, filtered and exported."""
