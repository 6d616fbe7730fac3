"""Networks: the communities one deployment serves (time zone, holiday calendar, limits)."""
