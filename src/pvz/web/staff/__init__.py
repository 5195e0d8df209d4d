"""«Сотрудники»: the point's staff, invitations and optional permissions."""
