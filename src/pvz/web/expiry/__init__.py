"""Storage deadlines: «Истекает сегодня» and the return-zone scanner screen."""
